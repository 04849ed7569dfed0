import Foundation

/// The functions Prometheus makes available to alert templates.
enum TemplateFunctions {
    static let names: Set<String> = [
        "humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "humanizeTimestamp",
        "printf", "print", "toUpper", "toLower", "title", "reReplaceAll", "match", "index", "len",
        "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "stripPort", "query", "safeHtml",
        "first", "label", "value", "strvalue", "sortByLabel",
    ]

    private static func err(_ m: String) -> Template.TemplateError { Template.TemplateError(message: m) }

    static func number(_ v: TemplateValue) throws(Template.TemplateError) -> Double {
        switch v {
        case .number(let d): return d
        case .string(let s):
            guard let d = Double(s.trimmingCharacters(in: .whitespaces)) ?? Evaluator.parseLe(s) else {
                throw err("strconv.ParseFloat: parsing \(PromQLString.quote(s)): invalid syntax")
            }
            return d
        case .bool(let b): return b ? 1 : 0
        default: throw err("can't convert \(v.rendered) to a number")
        }
    }

    static func call(_ name: String, _ args: [TemplateValue]) throws(Template.TemplateError) -> TemplateValue {
        func arg(_ i: Int) throws(Template.TemplateError) -> TemplateValue {
            guard i < args.count else { throw err("wrong number of args for \(name): want \(i + 1) got \(args.count)") }
            return args[i]
        }
        switch name {
        case "humanize": return .string(humanize(try number(arg(0))))
        case "humanize1024": return .string(humanize1024(try number(arg(0))))
        case "humanizePercentage": return .string(GoFormat.g(try number(arg(0)) * 100, 4) + "%")
        case "humanizeDuration": return .string(humanizeDuration(try number(arg(0))))
        case "humanizeTimestamp":
            let v = try number(arg(0))
            if v.isNaN || v.isInfinite { return .string(GoFormat.g(v, 4)) }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyy-MM-dd HH:mm:ss"
            // As Prometheus: nanoseconds truncated to a millisecond model.Time, printed like
            // Go's Time.String (fraction without trailing zeros).
            guard abs(v * 1e9) < 9.2e18 else { return .string(GoFormat.g(v, 4)) }
            let ms = Int64(v * 1e9) / 1_000_000
            var seconds = ms / 1000
            var millis = ms % 1000
            if millis < 0 { millis += 1000; seconds -= 1 }
            var frac = millis == 0 ? "" : String(format: ".%03lld", millis)
            while frac.hasSuffix("0") { frac.removeLast() }
            return .string(f.string(from: Date(timeIntervalSince1970: Double(seconds))) + frac + " +0000 UTC")
        case "printf":
            guard case .string(let format) = try arg(0) else { throw err("printf: format must be a string") }
            return .string(GoFormat.sprintf(format, Array(args.dropFirst())))
        case "print":
            return .string(args.map(\.rendered).joined(separator: ""))
        case "toUpper": return .string(try arg(0).rendered.uppercased())
        case "toLower": return .string(try arg(0).rendered.lowercased())
        case "title":
            let s = try arg(0).rendered
            var out = ""
            var prevLetter = false
            for ch in s {
                out += prevLetter ? String(ch) : ch.uppercased()
                prevLetter = ch.isLetter || ch.isNumber || ch == "_" || ch == "'"
            }
            return .string(out)
        case "reReplaceAll":
            let pattern = try arg(0).rendered, repl = try arg(1).rendered, text = try arg(2).rendered
            guard let re = try? NSRegularExpression(pattern: Evaluator.goRegexSyntax(pattern)) else {
                throw err("error parsing regexp: \(pattern)")
            }
            let ns = text as NSString
            var out = ""
            var last = 0
            let names = Evaluator.groupNames(pattern)
            for m in re.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
                let groups = (0..<m.numberOfRanges).map { i -> String in
                    let r = m.range(at: i)
                    return r.location == NSNotFound ? "" : ns.substring(with: r)
                }
                out += Evaluator.expand(repl, groups: groups, names: names)
                last = m.range.location + m.range.length
            }
            out += ns.substring(from: last)
            return .string(out)
        case "match":
            let pattern = try arg(0).rendered, text = try arg(1).rendered
            guard let re = try? NSRegularExpression(pattern: Evaluator.goRegexSyntax(pattern)) else {
                throw err("error parsing regexp: \(pattern)")
            }
            return .bool(re.firstMatch(in: text, range: NSRange(location: 0, length: (text as NSString).length)) != nil)
        case "index":
            guard case .map(let m) = try arg(0) else { throw err("index of non-map") }
            return .string(m[try arg(1).rendered] ?? "")
        case "len":
            switch try arg(0) {
            case .map(let m): return .number(Double(m.count))
            case .list(let l): return .number(Double(l.count))
            case .object(let o): return .number(Double(o.count))
            case .string(let s): return .number(Double(s.utf8.count))
            default: throw err("len of unsupported type")
            }
        case "eq", "ne", "lt", "le", "gt", "ge":
            let a = try arg(0), b = try arg(1)
            let c: Int
            switch (a, b) {
            case (.number(let x), .number(let y)): c = x < y ? -1 : (x > y ? 1 : 0)
            case (.string(let x), .string(let y)): c = x < y ? -1 : (x > y ? 1 : 0)
            case (.bool(let x), .bool(let y)) where name == "eq" || name == "ne": c = x == y ? 0 : 1
            default: throw err("incompatible types for comparison")
            }
            switch name {
            case "eq": return .bool(c == 0)
            case "ne": return .bool(c != 0)
            case "lt": return .bool(c < 0)
            case "le": return .bool(c <= 0)
            case "gt": return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case "and":
            for a in args where !a.truthy { return a }
            return args.last ?? .null
        case "or":
            for a in args where a.truthy { return a }
            return args.last ?? .null
        case "not": return .bool(!(try arg(0).truthy))
        case "stripPort":
            let s = try arg(0).rendered
            if s.hasPrefix("["), let close = s.firstIndex(of: "]") { return .string(String(s[s.index(after: s.startIndex)..<close])) }
            if s.filter({ $0 == ":" }).count == 1, let c = s.lastIndex(of: ":") { return .string(String(s[..<c])) }
            return .string(s)
        case "safeHtml": return .string(try arg(0).rendered)
        case "first":
            guard case .list(let l) = try arg(0) else { throw err("first: expected a query result") }
            guard let f = l.first else { throw err("first() called on vector with no elements") }
            return f
        case "label":
            let name = try arg(0).rendered
            guard case .sample(let labels, _) = try arg(1) else { throw err("label: expected a sample") }
            return .string(labels[name] ?? "")
        case "value":
            guard case .sample(_, let v) = try arg(0) else { throw err("value: expected a sample") }
            return .number(v)
        case "strvalue":
            guard case .sample(let labels, _) = try arg(0) else { throw err("strvalue: expected a sample") }
            return .string(labels["__value__"] ?? "")
        case "sortByLabel":
            let name = try arg(0).rendered
            guard case .list(let l) = try arg(1) else { throw err("sortByLabel: expected a query result") }
            func key(_ v: TemplateValue) -> String { if case .sample(let labels, _) = v { return labels[name] ?? "" }; return "" }
            return .list(l.enumerated().sorted { a, b in
                key(a.element) != key(b.element) ? key(a.element) < key(b.element) : a.offset < b.offset
            }.map(\.element))
        default: throw err("function \"\(name)\" not defined")
        }
    }

    static func humanize(_ v: Double) -> String {
        if v == 0 || v.isNaN || v.isInfinite { return GoFormat.g(v, 4) }
        var v = v
        var prefix = ""
        if abs(v) >= 1 {
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if abs(v) < 1000 { break }
                prefix = p
                v /= 1000
            }
            return GoFormat.g(v, 4) + prefix
        }
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = p
            v *= 1000
        }
        return GoFormat.g(v, 4) + prefix
    }

    static func humanize1024(_ v: Double) -> String {
        if abs(v) <= 1 || v.isNaN || v.isInfinite { return GoFormat.g(v, 4) }
        var v = v
        var prefix = ""
        for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
            if abs(v) < 1024 { break }
            prefix = p
            v /= 1024
        }
        return GoFormat.g(v, 4) + prefix
    }

    static func humanizeDuration(_ input: Double) -> String {
        var v = input
        if v.isNaN || v.isInfinite { return GoFormat.g(v, 4) }
        if v == 0 { return GoFormat.g(v, 4) + "s" }
        if abs(v) >= 9e18 { return GoFormat.g(v, 4) + "s" }
        if abs(v) >= 1 {
            var sign = ""
            if v < 0 { sign = "-"; v = -v }
            let duration = Int64(v)
            let seconds = duration % 60
            let minutes = (duration / 60) % 60
            let hours = (duration / 60 / 60) % 24
            let days = duration / 60 / 60 / 24
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
            return sign + GoFormat.g(v, 4) + "s"
        }
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = p
            v *= 1000
        }
        return GoFormat.g(v, 4) + prefix + "s"
    }
}
