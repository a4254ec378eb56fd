import LadonLaunch
import Testing

/// The deploy files' YAML: what must be quoted so that YAML 1.1 (Kubernetes) and 1.2 (compose) read the
/// same string, and the block layout.
@Suite struct YAMLTests {
    /// `key: <value>` as the emitter writes the one-entry mapping.
    func line(_ value: String) -> String {
        YAML.map(["key": .string(value)]).document
    }

    @Test(
        "strings a YAML parser could take for a number, boolean, null, key, comment or indicator are double-quoted",
        arguments: [
            ("5555", #""5555""#), ("0600", #""0600""#), ("0.0.0.0:9103", #""0.0.0.0:9103""#), ("1:20", #""1:20""#), ("-1", #""-1""#),
            (".inf", #"".inf""#), ("+1", #""+1""#), ("yes", #""yes""#), ("Off", #""Off""#), ("y", #""y""#), ("N", #""N""#), ("NULL", #""NULL""#),
            ("true", #""true""#), ("~", #""~""#), ("", #""""#), ("a: b", #""a: b""#), ("key:", #""key:""#), ("#x", ##""#x""##),
            ("x #y", ##""x #y""##),
            ("*alias", #""*alias""#), ("&anchor", #""&anchor""#), ("!tag", #""!tag""#), ("{index}", #""{index}""#), ("[a]", #""[a]""#),
            ("a,b", #""a,b""#), (" lead", #"" lead""#), ("trail ", #""trail ""#), ("- x", #""- x""#), ("%x", #""%x""#), ("@x", #""@x""#),
            ("`x`", #""`x`""#), ("'x'", #""'x'""#), ("|x", #""|x""#), (">x", #"">x""#), ("?x", #""?x""#), ("=", #""=""#), ("<<", #""<<""#),
            ("${LADON_HTTP_ADDRESS:-127.0.0.1}:9104:9104", #""${LADON_HTTP_ADDRESS:-127.0.0.1}:9104:9104""#),
        ])
    func ambiguousStringsAreQuoted(text: String, written: String) {
        #expect(line(text) == "key: \(written)\n")
    }

    @Test(
        "quoted strings escape backslashes, quotes, control characters and the line breaks only YAML 1.1 knows",
        arguments: [
            ("say \"hi\"", #""say \"hi\"""#), (#"C:\dir"#, #""C:\\dir""#), ("tab\there", #""tab\there""#), ("cr\r", #""cr\r""#),
            ("nul\u{0}", #""nul\0""#), ("bell\u{7}", #""bell\u0007""#), ("del\u{7F}", #""del\u007F""#), ("nel\u{85}", #""nel\u0085""#),
            ("ls\u{2028}", #""ls\u2028""#), ("bom\u{FEFF}", #""bom\uFEFF""#), ("café ok", #""café ok""#),
        ])
    func quotedStringsEscapeWhatTheyMust(text: String, written: String) {
        #expect(line(text) == "key: \(written)\n")
    }

    @Test(
        "plain strings that read back as themselves stay plain",
        arguments: [
            "tcp://*:5555", "--model", "-m", "/dev/video0", "keys/edge.key_secret", "app.kubernetes.io/name", "ladon:0.1.0", "a=b", "_x", "yesno",
        ])
    func safeStringsStayPlain(text: String) {
        #expect(line(text) == "key: \(text)\n")
    }

    @Test("text of several lines is a literal block whose chomping keeps exactly its trailing line breaks")
    func multiLineTextIsALiteralBlock() {
        #expect(line("a\n  b") == "key: |-\n  a\n    b\n")
        #expect(line("a\n\nb\n") == "key: |\n  a\n\n  b\n")
        #expect(line("a\n\n") == "key: |+\n  a\n\n")
        #expect(line("\nfirst") == "key: |-\n\n  first\n", "an empty first line is allowed; the first text line sets the indentation")
        #expect(line(" indented\nsecond") == "key: \" indented\\nsecond\"\n", "a first line starting with a space would set the block's indentation")
        #expect(line("a\tb\nc") == "key: \"a\\tb\\nc\"\n", "no tab in a block")
        let nested = YAML.map(["list": .sequence([.string("x\ny\n")])]).document
        #expect(nested == "list:\n  - |\n    x\n    y\n")
    }

    @Test("mappings in a sequence start on the dash's line; empty collections are [] and {}; numbers and booleans are bare")
    func blockLayout() {
        let document = YAML.map([
            "ports": .sequence([
                .map(["name": .string("frontend"), "port": .integer(5555)]), .map(["name": .string("backend"), "port": .integer(5556)]),
            ]),
            "nested": .sequence([.strings(["a", "b"])]),
            "none": .sequence([]), "empty": .mapping([]), "ok": .boolean(true),
        ]).document
        #expect(
            document == """
                ports:
                  - name: frontend
                    port: 5555
                  - name: backend
                    port: 5556
                nested:
                  -
                    - a
                    - b
                none: []
                empty: {}
                ok: true

                """)
    }
}
