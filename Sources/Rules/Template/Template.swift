import Foundation

/// A Go text/template subset, enough for Prometheus alert labels and annotations:
/// `{{ $labels.x }}`, `{{ $value }}`, `{{ $externalLabels.x }}`, `.Labels`/`.Value`, pipelines,
/// `if`/`else if`/`else`/`end`, `with`, `range` (query results, maps), variables (`$x := …`),
/// trim markers, comments, and the functions humanize, humanize1024, humanizePercentage,
/// humanizeDuration, humanizeTimestamp, printf, print, toUpper, toLower, title, reReplaceAll,
/// match, index, len, eq ne lt le gt ge, and or not, stripPort, query, first, label, value,
/// strvalue, sortByLabel.
public struct Template: Sendable, Hashable {
    indirect enum Node: Sendable, Hashable {
        case text(String)
        case action(Pipeline)
        case ifBlock(cond: Pipeline, then: [Node], else: [Node])
        case withBlock(value: Pipeline, then: [Node], else: [Node])
        /// `range [$i,] [$e :=] pipeline`: over a list (query result) or a map (sorted keys).
        case rangeBlock(indexVar: String?, elementVar: String?, value: Pipeline, body: [Node], else: [Node])
    }

    struct Pipeline: Sendable, Hashable {
        var declare: String?
        var commands: [[Term]]
    }

    indirect enum Term: Sendable, Hashable {
        case literal(TemplateValue)
        case variable(String, fields: [String])
        case dot(fields: [String])
        case function(String)
        case sub(Pipeline)
    }

    public struct TemplateError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    let nodes: [Node]
    public let source: String

    public init(_ source: String) throws(TemplateError) {
        self.source = source
        var p = TemplateParser(source)
        nodes = try p.parseAll()
    }

    /// Data for one expansion, as Prometheus passes it.
    public struct Data: Sendable {
        public var labels: [String: String]
        public var externalLabels: [String: String]
        public var externalURL: String
        public var value: Double
        /// Runs `query "…"` (an instant query at the evaluation time); nil: `query` fails.
        public var query: (@Sendable (String) throws -> [VectorSample])?
        public init(labels: [String: String], externalLabels: [String: String] = [:], externalURL: String = "", value: Double,
                    query: (@Sendable (String) throws -> [VectorSample])? = nil) {
            self.labels = labels
            self.externalLabels = externalLabels
            self.externalURL = externalURL
            self.value = value
            self.query = query
        }
    }

    /// Execution state: the data, variables, and dot (nil = the root data, as at the top level;
    /// `with` rebinds it to its value).
    struct Scope {
        let data: Data
        var vars: [String: TemplateValue]
        var dot: TemplateValue?
        /// When set, `.` and `$` at the top level are this value instead of Prometheus' alert data.
        var rootValue: TemplateValue? = nil
        /// Nodes executed so far (ranges multiply them: nested `range` over large query results).
        var steps = 0
    }

    /// Most nodes one expansion may execute, and most bytes it may produce. Go has no such
    /// limits; without them, nested `range`s over large query results (or `printf "%1000000s"`
    /// in a loop) would hold the rule evaluation for hours or exhaust memory.
    static let maxSteps = 1_000_000
    static let maxOutputBytes = 16 << 20

    /// Expands the template over arbitrary data (`.Field` and `$` resolve into `root`), as
    /// Alertmanager expands notification templates over its notification data.
    public func execute(root: [String: TemplateValue]) throws(TemplateError) -> String {
        let value = TemplateValue.object(root)
        var scope = Scope(data: Data(labels: [:], value: 0), vars: [:], dot: value, rootValue: value)
        var out = ""
        try run(nodes, &scope, &out)
        return out
    }

    public func execute(_ data: Data) throws(TemplateError) -> String {
        var scope = Scope(data: data, vars: [
            "labels": .map(data.labels), "externalLabels": .map(data.externalLabels),
            "externalURL": .string(data.externalURL), "value": .number(data.value),
        ], dot: nil)
        var out = ""
        try run(nodes, &scope, &out)
        return out
    }

    /// One more step of execution; refused past the step or output budget.
    private func tick(_ scope: inout Scope, _ out: String) throws(TemplateError) {
        scope.steps += 1
        if scope.steps > Self.maxSteps {
            throw TemplateError(message: "template execution stopped after \(Self.maxSteps) steps")
        }
        if out.utf8.count > Self.maxOutputBytes {
            throw TemplateError(message: "template output exceeds \(Self.maxOutputBytes) bytes")
        }
    }

    private func run(_ nodes: [Node], _ scope: inout Scope, _ out: inout String) throws(TemplateError) {
        for n in nodes {
            try tick(&scope, out)
            switch n {
            case .text(let s): out += s
            case .action(let p):
                let v = try eval(p, &scope)
                if p.declare == nil { out += v.rendered }
            case .ifBlock(let cond, let then, let els):
                let v = try eval(cond, &scope)
                try run(v.truthy ? then : els, &scope, &out)
            case .rangeBlock(let indexVar, let elementVar, let value, let body, let els):
                let v = try eval(value, &scope)
                var items: [(TemplateValue, TemplateValue)] = []
                switch v {
                case .list(let l): items = l.enumerated().map { (.number(Double($0.offset)), $0.element) }
                case .map(let m): items = m.keys.sorted().map { (.string($0), .string(m[$0] ?? "")) }
                case .object(let o): items = o.keys.sorted().map { (.string($0), o[$0] ?? .null) }
                case .null: break
                default: throw TemplateError(message: "range can't iterate over \(v.rendered)")
                }
                if items.isEmpty {
                    try run(els, &scope, &out)
                    continue
                }
                let saved = scope.dot
                defer { scope.dot = saved }
                for (index, element) in items {
                    try tick(&scope, out)
                    scope.dot = element
                    if let indexVar { scope.vars[indexVar] = index }
                    if let elementVar { scope.vars[elementVar] = element }
                    try run(body, &scope, &out)
                }
            case .withBlock(let value, let then, let els):
                let v = try eval(value, &scope)
                if v.truthy {
                    let saved = scope.dot
                    scope.dot = v
                    defer { scope.dot = saved }
                    try run(then, &scope, &out)
                } else {
                    try run(els, &scope, &out)
                }
            }
        }
    }

    private func eval(_ p: Pipeline, _ scope: inout Scope) throws(TemplateError) -> TemplateValue {
        var previous: TemplateValue?
        for cmd in p.commands {
            previous = try evalCommand(cmd, previous, &scope)
        }
        let v = previous ?? .null
        if let name = p.declare { scope.vars[name] = v }
        return v
    }

    private func evalCommand(_ terms: [Term], _ piped: TemplateValue?, _ scope: inout Scope) throws(TemplateError) -> TemplateValue {
        guard let first = terms.first else { throw TemplateError(message: "empty command") }
        if case .function(let name) = first {
            var args: [TemplateValue] = []
            for t in terms.dropFirst() { args.append(try evalTerm(t, &scope)) }
            if let piped { args.append(piped) }
            if name == "query" { return try runQuery(args, scope.data) }
            return try TemplateFunctions.call(name, args)
        }
        guard terms.count == 1, piped == nil else {
            throw TemplateError(message: "can't give argument to non-function")
        }
        return try evalTerm(first, &scope)
    }

    private func evalTerm(_ t: Term, _ scope: inout Scope) throws(TemplateError) -> TemplateValue {
        switch t {
        case .literal(let v): return v
        case .sub(let p): return try eval(p, &scope)
        case .function(let name): return try TemplateFunctions.call(name, [])
        case .variable(let name, let fields):
            if name == "$" {
                if let rootValue = scope.rootValue { return try field(rootValue, fields) }
                return try root(scope.data, fields)
            }
            guard let v = scope.vars[name] else { throw TemplateError(message: "undefined variable \"$\(name)\"") }
            return try field(v, fields)
        case .dot(let fields):
            guard let dot = scope.dot else { return try root(scope.data, fields) }
            return try field(dot, fields)
        }
    }

    private func runQuery(_ args: [TemplateValue], _ data: Data) throws(TemplateError) -> TemplateValue {
        guard args.count == 1, case .string(let text) = args[0] else {
            throw TemplateError(message: "query expects one string argument")
        }
        guard let query = data.query else { throw TemplateError(message: "query is not available here") }
        do {
            let samples = try query(text)
            return .list(samples.map { s in
                .sample(labels: Dictionary(s.labels.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }), value: s.value)
            })
        } catch {
            throw TemplateError(message: "error executing query \(PromQLString.quote(text)): \(error)")
        }
    }

    /// Fields of the root data: `.Labels`, `.ExternalLabels`, `.ExternalURL`, `.Value`.
    private func root(_ data: Data, _ fields: [String]) throws(TemplateError) -> TemplateValue {
        guard let first = fields.first else { return .map(data.labels) }
        let base: TemplateValue
        switch first {
        case "Labels": base = .map(data.labels)
        case "ExternalLabels": base = .map(data.externalLabels)
        case "ExternalURL": base = .string(data.externalURL)
        case "Value": base = .number(data.value)
        default: throw TemplateError(message: "can't evaluate field \(first)")
        }
        return try field(base, Array(fields.dropFirst()))
    }

    private func field(_ v: TemplateValue, _ fields: [String]) throws(TemplateError) -> TemplateValue {
        var cur = v
        for f in fields {
            if case .sample(let labels, let value) = cur {
                switch f {
                case "Labels": cur = .map(labels)
                case "Value": cur = .number(value)
                default: throw TemplateError(message: "can't evaluate field \(f) in type *template.sample")
                }
                continue
            }
            if case .object(let o) = cur {
                guard let v = o[f] else { throw TemplateError(message: "can't evaluate field \(f)") }
                cur = v
                continue
            }
            if case .list(let items) = cur, f == "Firing" || f == "Resolved" {
                // Alertmanager's Alerts.Firing / Alerts.Resolved.
                let wanted = f.lowercased()
                cur = .list(items.filter { if case .object(let o) = $0, case .string(let s)? = o["Status"] { return s == wanted } else { return false } })
                continue
            }
            guard case .map(let m) = cur else { throw TemplateError(message: "can't evaluate field \(f) in type \(cur)") }
            // missingkey=zero, as Prometheus configures templates.
            cur = .string(m[f] ?? "")
        }
        return cur
    }
}
