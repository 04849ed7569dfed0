import Yams

/// Strict, positioned reading of one YAML mapping: typed accessors that know their key path,
/// and `finish()` which rejects keys nobody asked for. (Same approach as the config reader in
/// the Vigil target, without environment expansion: rule files are taken literally.)
final class YAMLMappingReader {
    let node: Node
    let path: String
    let file: String
    private var entries: [(key: String, keyNode: Node, value: Node)] = []
    private var consumed: Set<String> = []

    init(_ node: Node, path: String, file: String) throws(RuleFileError) {
        self.node = node
        self.path = path
        self.file = file
        guard case .mapping(let mapping) = node else {
            throw Self.error(file, node, path, "expected a mapping, found \(Self.kind(of: node))")
        }
        var seen: Set<String> = []
        for (k, v) in mapping {
            guard case .scalar(let s) = k else {
                throw Self.error(file, k, path, "mapping keys must be plain strings")
            }
            guard seen.insert(s.string).inserted else {
                throw Self.error(file, k, Self.join(path, s.string), "duplicate key")
            }
            entries.append((s.string, k, v))
        }
    }

    static func error(_ file: String, _ node: Node?, _ path: String, _ message: String) -> RuleFileError {
        // Yams marks are 1-based lines and columns.
        RuleFileError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, field: path, message: message)
    }

    func error(_ node: Node?, _ path: String, _ message: String) -> RuleFileError {
        Self.error(file, node, path, message)
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let s): isNull(s) ? "null" : "a scalar"
        case .alias: "an alias"
        }
    }

    static func isNull(_ s: Node.Scalar) -> Bool {
        s.tag.description.hasSuffix(":null") || (s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string))
    }

    func childPath(_ key: String) -> String { Self.join(path, key) }

    var keys: [String] { entries.map(\.key) }

    func keyNode(_ key: String) -> Node? { entries.first(where: { $0.key == key })?.keyNode }

    /// The value node of `key`, nil when absent or null. Marks the key as used.
    func value(_ key: String) -> Node? {
        consumed.insert(key)
        guard let e = entries.first(where: { $0.key == key }) else { return nil }
        if case .scalar(let s) = e.value, Self.isNull(s) { return nil }
        return e.value
    }

    func string(_ key: String) throws(RuleFileError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .scalar(let s) = v else {
            throw error(v, childPath(key), "expected a string, found \(Self.kind(of: v))")
        }
        return s.string
    }

    func requiredString(_ key: String) throws(RuleFileError) -> String {
        guard let s = try string(key), !s.isEmpty else {
            throw error(keyNode(key) ?? node, childPath(key), "is required")
        }
        return s
    }

    /// A Prometheus duration (`5m`, `1h30m`, `0s`) in milliseconds.
    func duration(_ key: String) throws(RuleFileError) -> Int64? {
        guard let text = try string(key) else { return nil }
        guard let seconds = PromDurationParser.parse(text), seconds * 1000 < 9.2e18 else {
            throw error(value(key), childPath(key), "invalid duration \(PromQLString.quote(text))")
        }
        return Int64((seconds * 1000).rounded())
    }

    func int(_ key: String) throws(RuleFileError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let n = Int(text) else {
            throw error(value(key), childPath(key), "expected an integer, found \(PromQLString.quote(text))")
        }
        return n
    }

    func bool(_ key: String) throws(RuleFileError) -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw error(value(key), childPath(key), "expected true or false, found \(PromQLString.quote(text))")
        }
    }

    func mapping(_ key: String) throws(RuleFileError) -> YAMLMappingReader? {
        guard let v = value(key) else { return nil }
        return try YAMLMappingReader(v, path: childPath(key), file: file)
    }

    /// A mapping of strings to strings (labels, annotations), in file order.
    func stringMap(_ key: String) throws(RuleFileError) -> [(key: String, value: String, node: Node)]? {
        guard let m = try mapping(key) else { return nil }
        var out: [(String, String, Node)] = []
        for k in m.keys {
            let v = m.value(k)
            guard let v else { out.append((k, "", m.keyNode(k) ?? m.node)); continue }
            guard case .scalar(let s) = v else {
                throw error(v, m.childPath(k), "expected a string, found \(Self.kind(of: v))")
            }
            out.append((k, s.string, m.keyNode(k) ?? v))
        }
        return out
    }

    func sequence(_ key: String) throws(RuleFileError) -> [(node: Node, path: String)]? {
        guard let v = value(key) else { return nil }
        guard case .sequence(let seq) = v else {
            throw error(v, childPath(key), "expected a list, found \(Self.kind(of: v))")
        }
        return seq.enumerated().map { ($0.element, "\(childPath(key))[\($0.offset)]") }
    }

    func stringList(_ key: String) throws(RuleFileError) -> [String]? {
        guard let items = try sequence(key) else { return nil }
        var out: [String] = []
        for item in items {
            guard case .scalar(let s) = item.node else {
                throw error(item.node, item.path, "expected a string, found \(Self.kind(of: item.node))")
            }
            out.append(s.string)
        }
        return out
    }

    /// Rejects keys that no accessor asked for.
    func finish() throws(RuleFileError) {
        for e in entries where !consumed.contains(e.key) {
            let allowed = consumed.sorted().joined(separator: ", ")
            throw error(e.keyNode, childPath(e.key), "unknown field (allowed here: \(allowed))")
        }
    }

    /// Parses a whole document into its root node.
    static func root(text: String, file: String) throws(RuleFileError) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let e as YamlError {
            var line = 0, column = 0
            switch e {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
                line = mark.line
                column = mark.column
            default: break
            }
            throw RuleFileError(file: file, line: line, column: column, field: "", message: "invalid YAML: \(e)")
        } catch {
            throw RuleFileError(file: file, line: 0, column: 0, field: "", message: "invalid YAML: \(error)")
        }
    }
}
