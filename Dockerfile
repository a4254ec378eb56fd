# The Ladon stages in one image (docs/deploy.md): `docker build -t ladon:0.1.0 .`
#
# build:   the Swift toolchain for Debian 12 (bookworm) with the -dev packages ./dev installs; a release build.
# runtime: debian:bookworm-slim with the programs, the shared libraries they link (found with ldd and
#          mapped to Debian 12 packages with dpkg -S), the Swift runtime libraries they load, and models/.
#          It runs as the user ladon (10001), in /opt/ladon, where the topologies' relative paths
#          (models/..., keys/...) start. /run/ladon is the folder a host's services share for ipc:// sockets.
ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends libopenblas-dev libdnnl-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev libprotobuf-c-dev \
        protobuf-c-compiler libzmq3-dev pkg-config libsqlite3-dev libmosquitto-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release
# The programs, and the Swift runtime libraries they load (the toolchain's usr/lib/swift/linux, which their RUNPATH names).
RUN mkdir -p /out/bin /out/swift \
    && for program in ladon-ingest ladon-encoder ladon-edge ladon-sink ladon-launch ladon-keygen; do \
        install -m 0755 ".build/release/$program" /out/bin/; done \
    && ldd /out/bin/* | awk '$3 ~ "^/usr/lib/swift/linux/" {print $3}' | sort -u | xargs -r cp -t /out/swift/

FROM debian:bookworm-slim
# What ldd lists, by package: libzmq5 (with libsodium23 for CURVE), libopenblas0-pthread (libopenblas.so.0, the
# build's openblas-pthread), libdnnl2 (oneDNN, with libgomp1 and an OpenCL loader), libjpeg62-turbo, libpng16-16,
# zlib1g, libprotobuf-c1, libsqlite3-0 and libmosquitto1 (the sink), libstdc++6 and libgcc-s1 (the Swift runtime);
# apt brings the rest of their dependencies.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends libzmq5 libopenblas0-pthread libdnnl2 libjpeg62-turbo libpng16-16 zlib1g libprotobuf-c1 \
        libsqlite3-0 libmosquitto1 libstdc++6 libgcc-s1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/swift/ /usr/lib/swift/linux/
COPY --from=build /out/bin/ /usr/local/bin/
RUN echo /usr/lib/swift/linux > /etc/ld.so.conf.d/swift.conf && ldconfig \
    && if ldd /usr/local/bin/ladon-* | grep "not found"; then exit 1; fi \
    && groupadd --system --gid 10001 ladon \
    && useradd --system --uid 10001 --gid ladon --groups video --home-dir /opt/ladon --no-create-home --shell /usr/sbin/nologin ladon \
    && install -d -o ladon -g ladon -m 0755 /opt/ladon /run/ladon
COPY models/ /opt/ladon/models/
WORKDIR /opt/ladon
USER 10001:10001
CMD ["ladon-launch", "--help"]
