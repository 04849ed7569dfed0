import Foundation
public import Yams

/// Reads one YAML mapping strictly: typed accessors that know their key path, and `finish()`,
/// which rejects every key nobody asked for. Shared by the configuration, rule files, rule
/// test files and the notifier's configuration, so they report errors the same way.
public final class StrictYAMLReader {
    public let node: Node
    public let path: String
    public let context: StrictYAMLContext
    private var entries: [(key: String, keyNode: Node, value: Node)] = []
    private var consumed: Set<String> = []

    public init(_ node: Node, path: String, context: StrictYAMLContext) throws(PositionedError) {
        self.node = node
        self.path = path
        self.context = context
        guard case .mapping(let mapping) = node else {
            throw context.error(node, path, "expected a mapping, found \(Self.kind(of: node))")
        }
        var seen: Set<String> = []
        for (k, v) in mapping {
            guard case .scalar(let s) = k else {
                throw context.error(k, path, "mapping keys must be plain strings")
            }
            guard seen.insert(s.string).inserted else {
                throw context.error(k, Self.join(path, s.string), "duplicate key")
            }
            entries.append((s.string, k, v))
        }
    }

    public var file: String { context.file }

    public func error(_ node: Node?, _ field: String, _ message: String) -> PositionedError {
        context.error(node, field, message)
    }

    public static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func childPath(_ key: String) -> String { Self.join(path, key) }

    public static func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let s): isNull(s) ? "null" : "a scalar"
        case .alias: "an alias"
        }
    }

    public static func isNull(_ s: Node.Scalar) -> Bool {
        s.tag.description.hasSuffix(":null") || (s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string))
    }

    /// The keys of this mapping, in file order.
    public var keys: [String] { entries.map(\.key) }

    public func keyNode(_ key: String) -> Node? { entries.first(where: { $0.key == key })?.keyNode }

    /// The value node of `key`, nil when absent or null. Marks the key as used.
    public func value(_ key: String) -> Node? {
        consumed.insert(key)
        guard let e = entries.first(where: { $0.key == key }) else { return nil }
        if case .scalar(let s) = e.value, Self.isNull(s) { return nil }
        return e.value
    }

    public func has(_ key: String) -> Bool { value(key) != nil }

    /// A string; `${VAR}` references are expanded when the context has an environment.
    public func string(_ key: String) throws(PositionedError) -> String? {
        guard let v = value(key) else { return nil }
        return try scalar(v, childPath(key))
    }

    public func requiredString(_ key: String) throws(PositionedError) -> String {
        guard let s = try string(key), !s.isEmpty else {
            throw error(keyNode(key) ?? node, childPath(key), "is required")
        }
        return s
    }

    /// An integer within `range` (every count and size in a file has one).
    public func int(_ key: String, range: ClosedRange<Int>) throws(PositionedError) -> Int? {
        guard let v = value(key) else { return nil }
        return try integer(v, childPath(key), range: range)
    }

    /// The integer of a scalar node (a list item, say) within `range`.
    public func integer(_ node: Node, _ field: String, range: ClosedRange<Int>) throws(PositionedError) -> Int {
        let text = try scalar(node, field)
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw error(node, field, "expected an integer, found \(Self.quote(Self.clip(text)))")
        }
        guard let n = Int(text), range.contains(n) else {
            throw error(node, field, "must be between \(range.lowerBound) and \(range.upperBound), found \(Self.clip(text))")
        }
        return n
    }

    /// A finite number of a scalar node within `range`.
    public func number(_ node: Node, _ field: String, range: ClosedRange<Double>) throws(PositionedError) -> Double {
        let text = try scalar(node, field)
        guard let n = Double(text), n.isFinite else {
            throw error(node, field, "expected a number, found \(Self.quote(Self.clip(text)))")
        }
        guard range.contains(n) else {
            throw error(node, field, "must be between \(range.lowerBound) and \(range.upperBound), found \(Self.clip(text))")
        }
        return n
    }

    public func bool(_ key: String) throws(PositionedError) -> Bool? {
        guard let text = try string(key) else { return nil }
        // YAML 1.1 spellings too, as the Go YAML parser behind Prometheus and Alertmanager reads them.
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(value(key), childPath(key), "expected true or false, found \(Self.quote(Self.clip(text)))")
        }
    }

    /// A Prometheus duration (`500ms`, `15s`, `1m30s`) in seconds, within `range` (seconds).
    /// Every duration in a file has a range: an operator's typo of `999999y` is an error at its
    /// position, never a value some later conversion cannot hold.
    public func seconds(_ key: String, range: ClosedRange<Double>) throws(PositionedError) -> Double? {
        guard let v = value(key) else { return nil }
        let ms = try durationMilliseconds(v, childPath(key))
        let seconds = Double(ms) / 1000
        guard range.contains(seconds) else {
            throw error(v, childPath(key), "\(Self.describe(range)), found \(PromDuration.format(seconds))")
        }
        return seconds
    }

    /// The milliseconds of a duration scalar, refusing what Prometheus refuses.
    public func durationMilliseconds(_ node: Node, _ field: String) throws(PositionedError) -> UInt64 {
        let text = try scalar(node, field)
        switch PromDuration.parseMilliseconds(text) {
        case .success(let ms):
            return ms
        case .failure(.outOfRange):
            throw error(node, field, "duration out of range (at most \(PromDuration.format(PromDuration.maxSeconds)))")
        case .failure(.invalid):
            throw error(node, field, "invalid duration \(Self.quote(Self.clip(text))) (use e.g. 500ms, 15s, 1m30s)")
        }
    }

    /// "must be between 1ms and 1d" for a range of seconds.
    public static func describe(_ range: ClosedRange<Double>) -> String {
        if range.lowerBound <= 0 { return "must be at most \(PromDuration.format(range.upperBound))" }
        return "must be between \(PromDuration.format(range.lowerBound)) and \(PromDuration.format(range.upperBound))"
    }

    /// An error about `key` of this mapping, at its value (or the key, or the mapping).
    public func error(_ key: String, _ message: String) -> PositionedError {
        let at = entries.first(where: { $0.key == key })
        return context.error(at?.value ?? at?.keyNode ?? node, childPath(key), message)
    }

    public func mapping(_ key: String) throws(PositionedError) -> StrictYAMLReader? {
        guard let v = value(key) else { return nil }
        return try StrictYAMLReader(v, path: childPath(key), context: context)
    }

    /// A mapping of strings to strings (labels, annotations, headers), in file order.
    public func stringMap(_ key: String) throws(PositionedError) -> [(key: String, value: String, node: Node)]? {
        guard let m = try mapping(key) else { return nil }
        var out: [(String, String, Node)] = []
        for k in m.keys {
            guard let v = m.value(k) else { out.append((k, "", m.keyNode(k) ?? m.node)); continue }
            out.append((k, try scalar(v, m.childPath(k)), m.keyNode(k) ?? v))
        }
        return out
    }

    /// The items of a list, each with its path (`key[i]`).
    public func sequence(_ key: String) throws(PositionedError) -> [(node: Node, path: String)]? {
        guard let v = value(key) else { return nil }
        guard case .sequence(let seq) = v else {
            throw error(v, childPath(key), "expected a list, found \(Self.kind(of: v))")
        }
        return seq.enumerated().map { ($0.element, "\(childPath(key))[\($0.offset)]") }
    }

    /// The strings of a list with each item's node and path, for errors about single items.
    public func stringItems(_ key: String) throws(PositionedError) -> [(value: String, node: Node, path: String)]? {
        guard let items = try sequence(key) else { return nil }
        var out: [(value: String, node: Node, path: String)] = []
        for item in items { out.append((try scalar(item.node, item.path), item.node, item.path)) }
        return out
    }

    public func stringList(_ key: String) throws(PositionedError) -> [String]? {
        guard let items = try sequence(key) else { return nil }
        var out: [String] = []
        for item in items { out.append(try scalar(item.node, item.path)) }
        return out
    }

    /// A secret given inline as `key` or read from the file named by `key_file`; not both.
    public func secret(_ key: String) throws(PositionedError) -> String? {
        let inline = try string(key)
        let fileKey = "\(key)_file"
        guard let name = try string(fileKey) else { return inline }
        if inline != nil {
            throw error(value(fileKey), childPath(fileKey), "set either \(key) or \(fileKey), not both")
        }
        let full = context.resolve(name)
        do {
            return try StrictYAMLContext.readText(path: full).trimmingCharacters(in: .newlines)
        } catch let problem {
            // The reason only (no such file, not UTF-8 at 1:5, …): never the file's content.
            throw error(value(fileKey), childPath(fileKey), "cannot read file \(full): \(problem.message)")
        }
    }

    /// Rejects keys that no accessor asked for, naming the first one and the keys allowed here.
    public func finish() throws(PositionedError) {
        for e in entries where !consumed.contains(e.key) {
            let allowed = consumed.sorted().joined(separator: ", ")
            throw error(e.keyNode, childPath(e.key), "unknown field (allowed here: \(allowed))")
        }
    }

    /// The string of a scalar node, expanded when the context has an environment.
    public func scalar(_ node: Node, _ field: String) throws(PositionedError) -> String {
        guard case .scalar(let s) = node else {
            throw error(node, field, "expected a string, found \(Self.kind(of: node))")
        }
        guard let environment = context.environment else { return s.string }
        return try Self.expand(s.string, environment: environment) { message in error(node, field, message) }
    }

    /// Expands `${VAR}`; `$$` is a literal `$`. An unset variable is an error naming it.
    static func expand(_ text: String, environment: [String: String],
                       fail: (String) -> PositionedError) throws(PositionedError) -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "$", next < text.endIndex, text[next] == "$" {
                out.append("$")
                i = text.index(after: next)
            } else if c == "$", next < text.endIndex, text[next] == "{" {
                guard let close = text[next...].firstIndex(of: "}") else { throw fail("unterminated ${ reference") }
                let name = String(text[text.index(after: next)..<close])
                guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
                    throw fail("invalid environment variable name in ${...}")
                }
                guard let value = environment[name] else { throw fail("environment variable \(name) is not set") }
                out += value
                i = text.index(after: close)
            } else {
                out.append(c)
                i = next
            }
        }
        return out
    }

    /// A double-quoted rendering for messages.
    public static func quote(_ s: String) -> String { "\"\(s)\"" }

    /// At most 64 characters of `s`, control characters shown as `?`, for messages: a value a
    /// message repeats is never a whole line of garbage.
    public static func clip(_ s: String) -> String {
        var out = String(s.unicodeScalars.prefix(64).map { $0.value < 32 || $0.value == 127 ? "?" : Character($0) })
        if s.unicodeScalars.count > 64 { out += "…" }
        return out
    }
}
