/// A small command-line parser with swift-argument-parser's conventions: `--name value`,
/// `--name=value`, boolean `--flag`, `--` ends options, generated `--help`, and a usage error that names
/// the bad token and the closest known option.
public struct CommandSpec: Sendable {
    public struct Option: Sendable {
        public let name: String
        public let valueName: String?
        public let help: String
        public let required: Bool

        /// An option taking a value (`valueName` shown in help).
        public static func value(_ name: String, _ valueName: String, help: String, required: Bool = false) -> Option {
            Option(name: name, valueName: valueName, help: help, required: required)
        }

        /// A boolean flag.
        public static func flag(_ name: String, help: String) -> Option {
            Option(name: name, valueName: nil, help: help, required: false)
        }
    }

    public let command: String
    public let summary: String
    public let options: [Option]

    public init(command: String, summary: String, options: [Option]) {
        self.command = command
        self.summary = summary
        self.options = options
    }

    public var help: String {
        var lines = ["\(summary)", "", "USAGE: \(command) " + options.map(usageFragment).joined(separator: " "), "", "OPTIONS:"]
        for option in options {
            let left = "  --\(option.name)" + (option.valueName.map { " <\($0)>" } ?? "")
            lines.append(left.padding(toLength: max(left.count + 2, 28), withPad: " ", startingAt: 0) + option.help)
        }
        lines.append("  --help                    Show this help.")
        return lines.joined(separator: "\n")
    }

    private func usageFragment(_ option: Option) -> String {
        let text = "--\(option.name)" + (option.valueName.map { " <\($0)>" } ?? "")
        return option.required ? text : "[\(text)]"
    }

    /// Parses `arguments` (without the program name and subcommand).
    public func parse(_ arguments: [String]) throws(CommandLineError) -> ParsedArguments {
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var positional: [String] = []
        var index = 0
        while index < arguments.count {
            let token = arguments[index]
            index += 1
            if token == "--" {
                positional.append(contentsOf: arguments[index...])
                break
            }
            guard token.hasPrefix("--") else {
                positional.append(token)
                continue
            }
            if token == "--help" || token == "-h" { throw .helpRequested(help) }
            let body = token.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            guard let option = options.first(where: { $0.name == name }) else {
                throw .unknownOption(token, suggestion: closestOption(to: name))
            }
            if option.valueName == nil {
                guard !body.contains("=") else { throw .unexpectedValue(option: name) }
                flags.insert(name)
            } else if let equals = body.firstIndex(of: "=") {
                values[name] = String(body[body.index(after: equals)...])
            } else {
                guard index < arguments.count else { throw .missingValue(option: name) }
                values[name] = arguments[index]
                index += 1
            }
        }
        for option in options where option.required && values[option.name] == nil {
            throw .missingOption(option.name)
        }
        return ParsedArguments(values: values, flags: flags, positional: positional)
    }

    private func closestOption(to name: String) -> String? {
        let scored = options.map { ($0.name, editDistance($0.name, name)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, best.count / 3) else { return nil }
        return best
    }
}

public struct ParsedArguments: Sendable {
    public let values: [String: String]
    public let flags: Set<String>
    public let positional: [String]

    public func value(_ name: String) -> String? { values[name] }

    /// The value of a required option (the parser has already checked it is present).
    public func required(_ name: String) -> String { values[name] ?? "" }

    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The option's value as a number, `fallback` when it is absent; a usage error naming the option
    /// when it is not a number (NaN and infinities included) or fails `isValid` (`expected` says what is).
    public func number<Value: CommandLineNumber>(
        _ name: String, default fallback: Value, expected: String = "a number", where isValid: (Value) -> Bool = { _ in true }
    ) throws(CommandLineError) -> Value {
        guard let value = try optionalNumber(name, expected: expected, where: isValid) else { return fallback }
        return value
    }

    /// The option's value as a number, `nil` when it is absent; checked as `number` checks it.
    public func optionalNumber<Value: CommandLineNumber>(
        _ name: String, expected: String = "a number", where isValid: (Value) -> Bool = { _ in true }
    ) throws(CommandLineError) -> Value? {
        guard let text = values[name] else { return nil }
        guard let value = Value(commandLine: text), isValid(value) else { throw .invalidValue(option: name, value: text, expected: expected) }
        return value
    }

    /// An integer option; `number` with any integer allowed.
    public func integer(_ name: String, default fallback: Int) throws(CommandLineError) -> Int {
        try number(name, default: fallback, expected: "an integer")
    }
}

/// A number type an option's value is read as: its text must be the whole value, and finite.
public protocol CommandLineNumber: Comparable, Sendable {
    init?(commandLine text: String)
}

extension Int: CommandLineNumber {
    public init?(commandLine text: String) { self.init(text) }
}

extension Double: CommandLineNumber {
    public init?(commandLine text: String) {
        guard let value = Double(text), value.isFinite else { return nil }
        self = value
    }
}

extension Float: CommandLineNumber {
    public init?(commandLine text: String) {
        guard let value = Float(text), value.isFinite else { return nil }
        self = value
    }
}

public enum CommandLineError: Error, Equatable, CustomStringConvertible {
    case helpRequested(String)
    case unknownOption(String, suggestion: String?)
    case missingValue(option: String)
    case unexpectedValue(option: String)
    case missingOption(String)
    case invalidValue(option: String, value: String, expected: String)
    case unknownSubcommand(String, known: [String])

    public var description: String {
        switch self {
        case let .helpRequested(help): return help
        case let .unknownOption(token, suggestion):
            return "unknown option '\(token)'" + (suggestion.map { "; did you mean '--\($0)'?" } ?? "")
        case let .missingValue(option): return "option '--\(option)' needs a value"
        case let .unexpectedValue(option): return "flag '--\(option)' takes no value"
        case let .missingOption(option): return "missing required option '--\(option)'"
        case let .invalidValue(option, value, expected): return "option '--\(option)' got '\(value)', expected \(expected)"
        case let .unknownSubcommand(name, known):
            return "unknown subcommand '\(name)'; expected one of: \(known.joined(separator: ", "))"
        }
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let (a, b) = (Array(a), Array(b))
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}
