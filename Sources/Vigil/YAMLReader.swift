import Foundation
import VigilCore
import Yams

/// What every reader of one configuration file shares.
struct YAMLContext {
    /// The file name used in errors.
    let file: String
    /// Environment for `${VAR}` references.
    let environment: [String: String]
    /// Directory relative `*_file` paths are resolved against.
    let baseDirectory: String

    func error(_ node: Node?, _ path: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, path: path, message: message)
    }
}

/// Reads one YAML mapping strictly: typed accessors that know their key path, and `finish()`
/// which rejects every key nobody asked for.
final class MappingReader {
    let node: Node
    let path: String
    let context: YAMLContext
    private var entries: [(key: String, keyNode: Node, value: Node)] = []
    private var consumed: Set<String> = []

    init(_ node: Node, path: String, context: YAMLContext) throws {
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

    /// The keys of this mapping, in file order (for free-form maps such as labels).
    var keys: [String] { entries.map(\.key) }

    /// The value node of `key`, or nil when absent or null. Marks the key as used.
    func value(_ key: String) -> Node? {
        consumed.insert(key)
        guard let e = entries.first(where: { $0.key == key }) else { return nil }
        if case .scalar(let s) = e.value, s.tag.description.hasSuffix(":null") { return nil }
        return e.value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    /// A string, with `${VAR}` references expanded.
    func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard case .scalar(let s) = v else {
            throw context.error(v, childPath(key), "expected a string, found \(Self.kind(of: v))")
        }
        return try expand(s.string, node: v, path: childPath(key))
    }

    func duration(_ key: String) throws -> Double? {
        guard let text = try string(key) else { return nil }
        guard let seconds = PromDuration.parse(text) else {
            throw context.error(value(key), childPath(key), "invalid duration \"\(text)\" (use e.g. 500ms, 15s, 1m30s)")
        }
        return seconds
    }

    func positiveDuration(_ key: String) throws -> Double? {
        guard let d = try duration(key) else { return nil }
        guard d > 0 else { throw context.error(value(key), childPath(key), "must be greater than 0") }
        return d
    }

    func int(_ key: String, range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let n = Int(text) else {
            throw context.error(value(key), childPath(key), "expected an integer, found \"\(text)\"")
        }
        if let range, !range.contains(n) {
            throw context.error(value(key), childPath(key), "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return n
    }

    func bool(_ key: String) throws -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw context.error(value(key), childPath(key), "expected true or false, found \"\(text)\"")
        }
    }

    func mapping(_ key: String) throws -> MappingReader? {
        guard let v = value(key) else { return nil }
        return try MappingReader(v, path: childPath(key), context: context)
    }

    /// The items of a list, each with its path (`key[i]`).
    func sequence(_ key: String) throws -> [(node: Node, path: String)]? {
        guard let v = value(key) else { return nil }
        guard case .sequence(let seq) = v else {
            throw context.error(v, childPath(key), "expected a list, found \(Self.kind(of: v))")
        }
        return seq.enumerated().map { ($0.element, "\(childPath(key))[\($0.offset)]") }
    }

    func stringList(_ key: String) throws -> [String]? {
        guard let items = try sequence(key) else { return nil }
        return try items.map { item in
            guard case .scalar(let s) = item.node else {
                throw context.error(item.node, item.path, "expected a string, found \(Self.kind(of: item.node))")
            }
            return try expand(s.string, node: item.node, path: item.path)
        }
    }

    /// A secret given inline as `key` or read from the file named by `key_file`; not both.
    func secret(_ key: String) throws -> String? {
        let inline = try string(key)
        let fileKey = "\(key)_file"
        guard let file = try string(fileKey) else { return inline }
        if inline != nil {
            throw context.error(value(fileKey), childPath(fileKey), "set either \(key) or \(fileKey), not both")
        }
        let full = file.hasPrefix("/") ? file : "\(context.baseDirectory)/\(file)"
        guard let data = FileManager.default.contents(atPath: full), let text = String(data: data, encoding: .utf8) else {
            throw context.error(value(fileKey), childPath(fileKey), "cannot read file \(full)")
        }
        return text.trimmingCharacters(in: .newlines)
    }

    /// Rejects keys that no accessor asked for, naming the first one and the keys allowed here.
    func finish() throws {
        for e in entries where !consumed.contains(e.key) {
            let allowed = consumed.sorted().joined(separator: ", ")
            throw context.error(e.keyNode, childPath(e.key), "unknown key (allowed here: \(allowed))")
        }
    }

    /// Expands `${VAR}`; `$$` is a literal `$`. An unset variable is an error naming it.
    func expand(_ text: String, node: Node, path: String) throws -> String {
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
                    throw context.error(node, path, "unterminated ${ reference")
                }
                let name = String(text[text.index(after: next)..<close])
                guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
                    throw context.error(node, path, "invalid environment variable name in ${...}")
                }
                guard let value = context.environment[name] else {
                    throw context.error(node, path, "environment variable \(name) is not set")
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
