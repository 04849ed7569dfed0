import Foundation
import VigilCore
import Yams

/// What every reader of one configuration file shares: its name (for errors), the environment
/// for `${VAR}` references and the directory relative `*_file` paths resolve against.
struct YAMLSource: Sendable {
    let file: String
    let environment: [String: String]
    let baseDirectory: String

    func error(_ node: Node?, _ path: String, _ message: String) -> NotifyConfigError {
        // Yams marks are 1-based lines and 1-based columns.
        NotifyConfigError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, path: path, message: message)
    }
}

/// Reads one YAML mapping strictly (the approach of the Vigil target's `MappingReader`): typed
/// accessors that know their key path, and `finish()` which rejects every key nobody asked for.
final class YAMLNodeReader {
    let node: Node
    let path: String
    let source: YAMLSource
    private var entries: [(key: String, keyNode: Node, value: Node)] = []
    private var consumed: Set<String> = []

    init(_ node: Node, path: String, source: YAMLSource) throws(NotifyConfigError) {
        self.node = node
        self.path = path
        self.source = source
        guard case .mapping(let mapping) = node else {
            throw source.error(node, path, "expected a mapping, found \(Self.kind(of: node))")
        }
        var seen: Set<String> = []
        for (k, v) in mapping {
            guard case .scalar(let s) = k else { throw source.error(k, path, "mapping keys must be plain strings") }
            guard seen.insert(s.string).inserted else { throw source.error(k, Self.join(path, s.string), "duplicate key") }
            entries.append((s.string, k, v))
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let s): s.tag.description.hasSuffix(":null") ? "null" : "a scalar"
        case .alias: "an alias"
        }
    }

    func childPath(_ key: String) -> String { Self.join(path, key) }

    /// The value node of `key`, or nil when absent or null. Marks the key as used.
    func value(_ key: String) -> Node? {
        consumed.insert(key)
        guard let e = entries.first(where: { $0.key == key }) else { return nil }
        if case .scalar(let s) = e.value, s.tag.description.hasSuffix(":null") { return nil }
        return e.value
    }

    func error(_ key: String, _ message: String) -> NotifyConfigError {
        source.error(value(key) ?? node, childPath(key), message)
    }

    func string(_ key: String) throws(NotifyConfigError) -> String? {
        guard let v = value(key) else { return nil }
        return try scalar(v, path: childPath(key))
    }

    func scalar(_ v: Node, path: String) throws(NotifyConfigError) -> String {
        guard case .scalar(let s) = v else {
            throw source.error(v, path, "expected a string, found \(Self.kind(of: v))")
        }
        return try expand(s.string, node: v, path: path)
    }

    func duration(_ key: String) throws(NotifyConfigError) -> Double? {
        guard let text = try string(key) else { return nil }
        guard let seconds = PromDuration.parse(text) else {
            throw error(key, "invalid duration \"\(text)\" (use e.g. 500ms, 15s, 1m30s)")
        }
        return seconds
    }

    func positiveDuration(_ key: String) throws(NotifyConfigError) -> Double? {
        guard let d = try duration(key) else { return nil }
        guard d > 0 else { throw error(key, "must be greater than 0") }
        return d
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(NotifyConfigError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let n = Int(text) else { throw error(key, "expected an integer, found \"\(text)\"") }
        guard range.contains(n) else { throw error(key, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return n
    }

    func bool(_ key: String) throws(NotifyConfigError) -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "expected true or false, found \"\(text)\"")
        }
    }

    func mapping(_ key: String) throws(NotifyConfigError) -> YAMLNodeReader? {
        guard let v = value(key) else { return nil }
        return try YAMLNodeReader(v, path: childPath(key), source: source)
    }

    /// The items of a list, each with its path (`key[i]`).
    func sequence(_ key: String) throws(NotifyConfigError) -> [(node: Node, path: String)]? {
        guard let v = value(key) else { return nil }
        guard case .sequence(let seq) = v else {
            throw source.error(v, childPath(key), "expected a list, found \(Self.kind(of: v))")
        }
        return seq.enumerated().map { ($0.element, "\(childPath(key))[\($0.offset)]") }
    }

    func stringList(_ key: String) throws(NotifyConfigError) -> [(String, Node, String)]? {
        guard let items = try sequence(key) else { return nil }
        var out: [(String, Node, String)] = []
        for item in items { out.append((try scalar(item.node, path: item.path), item.node, item.path)) }
        return out
    }

    /// A string map (`headers: {X-A: b}`), in file order.
    func stringMap(_ key: String) throws(NotifyConfigError) -> [(String, String)]? {
        guard let v = value(key) else { return nil }
        guard case .mapping(let m) = v else {
            throw source.error(v, childPath(key), "expected a mapping, found \(Self.kind(of: v))")
        }
        var out: [(String, String)] = []
        for (k, val) in m {
            let name = try scalar(k, path: childPath(key))
            out.append((name, try scalar(val, path: Self.join(childPath(key), name))))
        }
        return out
    }

    /// A secret given inline as `key` or read from the file named by `key_file`; not both.
    func secret(_ key: String) throws(NotifyConfigError) -> String? {
        let inline = try string(key)
        let fileKey = "\(key)_file"
        guard let file = try string(fileKey) else { return inline }
        if inline != nil { throw error(fileKey, "set either \(key) or \(fileKey), not both") }
        let full = file.hasPrefix("/") ? file : "\(source.baseDirectory)/\(file)"
        guard let data = FileManager.default.contents(atPath: full), let text = String(data: data, encoding: .utf8) else {
            throw error(fileKey, "cannot read file \(full)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Rejects keys that no accessor asked for, naming the first one and the keys allowed here.
    func finish() throws(NotifyConfigError) {
        for e in entries where !consumed.contains(e.key) {
            let allowed = consumed.sorted().joined(separator: ", ")
            throw source.error(e.keyNode, childPath(e.key), "unknown key (allowed here: \(allowed))")
        }
    }

    /// Expands `${VAR}`; `$$` is a literal `$`. An unset variable is an error naming it.
    func expand(_ text: String, node: Node, path: String) throws(NotifyConfigError) -> String {
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
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw source.error(node, path, "unterminated ${ reference")
                }
                let name = String(text[text.index(after: next)..<close])
                guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
                    throw source.error(node, path, "invalid environment variable name in ${...}")
                }
                guard let value = source.environment[name] else {
                    throw source.error(node, path, "environment variable \(name) is not set")
                }
                out += value
                i = text.index(after: close)
            } else {
                out.append(c)
                i = next
            }
        }
        return out
    }
}
