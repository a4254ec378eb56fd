/// The YAML the deploy renderers write: block mappings and sequences of strings, integers and booleans,
/// no anchors, tags or flow style beyond `[]` and `{}` for empty collections.
///
/// Strings are written so that both YAML 1.1 (Kubernetes' parser) and 1.2 (compose's) read them back as
/// the same string. A string is plain only when it cannot be taken for anything else: it starts with a
/// letter, `_`, `/`, or `-` before a letter or `-`, holds only letters, digits and `_./=:*@+-`, does not
/// end in `:`, and is no YAML 1.1 boolean or null (`yes`, `Off`, `y`, `null`, ...). A string of
/// several lines is a literal block (`|`, `|-` or `|+` as its trailing line breaks ask) when each line
/// is printable text whose first line does not start with a space. Anything else is double-quoted, with
/// `\\`, `\"`, `\n`, `\t`, `\r`, `\0` and `\uXXXX` for the other control and line-break characters
/// (YAML 1.1 also breaks lines at U+0085, U+2028 and U+2029).
public enum YAML: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case sequence([YAML])
    case mapping([Entry])

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: YAML

        public init(_ key: String, _ value: YAML) {
            self.key = key
            self.value = value
        }
    }

    /// A mapping from `(key, value)` pairs, in their order.
    public static func map(_ pairs: KeyValuePairs<String, YAML>) -> YAML {
        .mapping(pairs.map { Entry($0.key, $0.value) })
    }

    /// A sequence of strings.
    public static func strings(_ values: [String]) -> YAML {
        .sequence(values.map { .string($0) })
    }

    /// The document's text: one line per scalar, collections indented by two spaces, a final newline.
    public var document: String {
        lines(indent: "").joined(separator: "\n") + "\n"
    }

    /// A scalar's text on one line (`nil` for collections and literal blocks).
    var inline: String? {
        switch self {
        case let .string(text): return YAML.literalBlock(text) == nil ? YAML.scalar(text) : nil
        case let .integer(value): return "\(value)"
        case let .boolean(value): return value ? "true" : "false"
        case let .sequence(items): return items.isEmpty ? "[]" : nil
        case let .mapping(entries): return entries.isEmpty ? "{}" : nil
        }
    }

    /// This node's lines at `indent`, for a node that is not inline.
    private func lines(indent: String) -> [String] {
        if let inline { return [indent + inline] }
        switch self {
        case let .sequence(items):
            return items.flatMap { item in YAML.attach("-", item, indent: indent) }
        case let .mapping(entries):
            return entries.flatMap { entry in YAML.attach(YAML.scalar(entry.key) + ":", entry.value, indent: indent) }
        case let .string(text):
            // Only a literal block gets here: its header goes on the key's line (see `attach`).
            return YAML.literalBlock(text).map { block in block.lines.map { $0.isEmpty ? "" : indent + $0 } } ?? []
        case .integer, .boolean:
            return []
        }
    }

    /// `lead` (`-` or `key:`) followed by `value`: on the same line when inline, a literal block's header
    /// then its lines, or the collection's lines indented below (a sequence item's mapping starts on the
    /// dash's line, as `- name: x`).
    private static func attach(_ lead: String, _ value: YAML, indent: String) -> [String] {
        if let inline = value.inline { return [indent + lead + " " + inline] }
        let inner = indent + "  "
        if case let .string(text) = value, let block = literalBlock(text) {
            return [indent + lead + " " + block.header] + block.lines.map { $0.isEmpty ? "" : inner + $0 }
        }
        let body = value.lines(indent: inner)
        if lead == "-", case .mapping = value, let first = body.first {
            return [indent + "- " + first.dropFirst(inner.count)] + body.dropFirst()
        }
        return [indent + lead] + body
    }

    // MARK: Scalars

    static let yaml11Words: Set<String> = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"]

    /// A one-line string: plain when nothing else can read it, double-quoted otherwise.
    static func scalar(_ text: String) -> String {
        isPlain(text) ? text : quoted(text)
    }

    static func isPlain(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.first, !yaml11Words.contains(text.lowercased()), text.last != ":" else { return false }
        let isLetter = { (c: Unicode.Scalar) in ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        let isBody = { (c: Unicode.Scalar) in isLetter(c) || ("0"..."9").contains(c) || "_./=:*@+-".unicodeScalars.contains(c) }
        let startsWell =
            isLetter(first) || first == "_" || first == "/"
            || (first == "-" && scalars.count > 1 && (isLetter(scalars[1]) || scalars[1] == "-"))
        return startsWell && scalars.allSatisfy(isBody)
    }

    /// A double-quoted scalar: escapes for `\`, `"` and every character that is not printable or breaks lines.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default:
                if needsEscape(scalar) {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// C0 and C1 controls, DEL, YAML 1.1's extra line breaks, the byte-order mark and non-characters.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 || value == 0xFEFF
            || (0xFFFE...0xFFFF).contains(value)
    }

    /// A literal block for `text` (its header and its lines, unindented), or `nil` when `text` is one line
    /// or holds what a literal block cannot carry.
    static func literalBlock(_ text: String) -> (header: String, lines: [String])? {
        guard text.contains("\n") else { return nil }
        var body = Substring(text)
        var trailingBreaks = 0
        while body.hasSuffix("\n") {
            body = body.dropLast()
            trailingBreaks += 1
        }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let printable = { (line: String) in
            !line.unicodeScalars.contains { $0 == "\t" || needsEscape($0) }
        }
        // The first non-empty line sets the block's indentation, so it may not start with a space, and no
        // empty line before it may hold spaces.
        guard let firstText = lines.firstIndex(where: { !$0.isEmpty }), !lines[firstText].hasPrefix(" "),
            lines.allSatisfy(printable)
        else { return nil }
        let chomping = trailingBreaks == 0 ? "-" : trailingBreaks == 1 ? "" : "+"
        return ("|" + chomping, lines + Array(repeating: "", count: max(0, trailingBreaks - 1)))
    }
}
