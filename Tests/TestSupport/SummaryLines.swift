import Foundation

/// The value of `key=value` in the first line of `text` that starts with `prefix` and has that key (a
/// stage's summary line).
public func field(_ key: String, in text: String, line prefix: String = "") -> String? {
    for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
        if let token = line.split(separator: " ").first(where: { $0.hasPrefix("\(key)=") }) { return String(token.dropFirst(key.count + 1)) }
    }
    return nil
}

/// `field` as an integer.
public func number(_ key: String, in text: String, line prefix: String = "") -> Int? {
    field(key, in: text, line: prefix).flatMap { Int($0) }
}

/// Polls `condition` every 100 ms until it holds (`true`) or `timeout` seconds pass (`false`).
public func waitUntil(_ timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { return false }
        usleep(100_000)
    }
    return true
}
