import Foundation

/// A Go text/template subset, enough for Prometheus alert labels and annotations:
/// `{{ $labels.x }}`, `{{ $value }}`, `{{ $externalLabels.x }}`, `.Labels`/`.Value`, pipelines,
/// `if`/`else if`/`else`/`end`, `with`, variables (`$x := …`), trim markers, comments, and the
/// functions humanize, humanize1024, humanizePercentage, humanizeDuration, humanizeTimestamp,
/// printf, print, toUpper, toLower, title, reReplaceAll, match, index, len, eq ne lt le gt ge,
/// and or not, stripPort. `query` is rejected when executed (no query access from templates).
public struct Template: Sendable, Hashable {
    indirect enum Node: Sendable, Hashable {
        case text(String)
        case action(Pipeline)
        case ifBlock(cond: Pipeline, then: [Node], else: [Node])
        case withBlock(value: Pipeline, then: [Node], else: [Node])
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
        public init(labels: [String: String], externalLabels: [String: String] = [:], externalURL: String = "", value: Double) {
            self.labels = labels
            self.externalLabels = externalLabels
            self.externalURL = externalURL
            self.value = value
        }
    }

    public func execute(_ data: Data) throws(TemplateError) -> String {
        var vars: [String: TemplateValue] = [
            "labels": .map(data.labels), "externalLabels": .map(data.externalLabels),
            "externalURL": .string(data.externalURL), "value": .number(data.value),
        ]
        var out = ""
        try run(nodes, data, &vars, &out)
        return out
    }

    private func run(_ nodes: [Node], _ data: Data, _ vars: inout [String: TemplateValue], _ out: inout String) throws(TemplateError) {
        for n in nodes {
            switch n {
            case .text(let s): out += s
            case .action(let p):
                let v = try eval(p, data, &vars)
                if p.declare == nil { out += v.rendered }
            case .ifBlock(let cond, let then, let els):
                let v = try eval(cond, data, &vars)
                try run(v.truthy ? then : els, data, &vars, &out)
            case .withBlock(let value, let then, let els):
                let v = try eval(value, data, &vars)
                try run(v.truthy ? then : els, data, &vars, &out)
            }
        }
    }

    private func eval(_ p: Pipeline, _ data: Data, _ vars: inout [String: TemplateValue]) throws(TemplateError) -> TemplateValue {
        var previous: TemplateValue?
        for cmd in p.commands {
            previous = try evalCommand(cmd, previous, data, &vars)
        }
        let v = previous ?? .null
        if let name = p.declare { vars[name] = v }
        return v
    }

    private func evalCommand(_ terms: [Term], _ piped: TemplateValue?, _ data: Data, _ vars: inout [String: TemplateValue]) throws(TemplateError) -> TemplateValue {
        guard let first = terms.first else { throw TemplateError(message: "empty command") }
        if case .function(let name) = first {
            var args: [TemplateValue] = []
            for t in terms.dropFirst() { args.append(try evalTerm(t, data, &vars)) }
            if let piped { args.append(piped) }
            return try TemplateFunctions.call(name, args)
        }
        guard terms.count == 1, piped == nil else {
            throw TemplateError(message: "can't give argument to non-function")
        }
        return try evalTerm(first, data, &vars)
    }

    private func evalTerm(_ t: Term, _ data: Data, _ vars: inout [String: TemplateValue]) throws(TemplateError) -> TemplateValue {
        switch t {
        case .literal(let v): return v
        case .sub(let p): return try eval(p, data, &vars)
        case .function(let name): return try TemplateFunctions.call(name, [])
        case .variable(let name, let fields):
            guard let v = vars[name] else { throw TemplateError(message: "undefined variable \"$\(name)\"") }
            return try field(v, fields)
        case .dot(let fields):
            guard let first = fields.first else {
                return .map(data.labels)
            }
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
    }

    private func field(_ v: TemplateValue, _ fields: [String]) throws(TemplateError) -> TemplateValue {
        var cur = v
        for f in fields {
            guard case .map(let m) = cur else { throw TemplateError(message: "can't evaluate field \(f) in type \(cur)") }
            // missingkey=zero, as Prometheus configures templates.
            cur = .string(m[f] ?? "")
        }
        return cur
    }
}
