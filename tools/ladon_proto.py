"""The message classes of proto/ladon.proto for the standard protobuf runtime, compiled at import time.

`protoc --python_out` when protoc is installed, otherwise `protoc-c --descriptor_set_out`, whose
descriptors the runtime turns into classes. Tools read the Swift stages' messages through these classes,
so a change to the schema cannot leave a hand-written parser behind.

    from ladon_proto import message_class
    Latent = message_class("Latent")
"""
import functools
import importlib.util
import shutil
import subprocess
import tempfile
from pathlib import Path

PROTO = Path(__file__).resolve().parent.parent / "proto" / "ladon.proto"


class NoProtobufCompiler(RuntimeError):
    pass


@functools.cache
def _classes(proto: Path = PROTO):
    with tempfile.TemporaryDirectory() as out:
        if shutil.which("protoc"):
            subprocess.run(["protoc", f"--proto_path={proto.parent}", f"--python_out={out}", str(proto)], check=True)
            module = Path(out) / (proto.stem + "_pb2.py")
            spec = importlib.util.spec_from_file_location(proto.stem + "_pb2", module)
            compiled = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(compiled)
            return lambda name: getattr(compiled, name)
        if shutil.which("protoc-c"):
            from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

            descriptors = Path(out) / "ladon.desc"
            subprocess.run(["protoc-c", f"--proto_path={proto.parent}", f"--descriptor_set_out={descriptors}",
                            str(proto)], check=True)
            pool = descriptor_pool.DescriptorPool()
            for file in descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes()).file:
                pool.Add(file)
            # GetMessageClass is protobuf 4.22+; Debian's 3.21 has only the factory's GetPrototype.
            make = getattr(message_factory, "GetMessageClass", None) or message_factory.MessageFactory(pool).GetPrototype
            return lambda name: make(pool.FindMessageTypeByName("ladon." + name))
    raise NoProtobufCompiler("no protobuf compiler: install protoc or protoc-c")


def message_class(name: str):
    """The class of message `name` (e.g. "Latent", "Result") in package ladon."""
    return _classes()(name)
