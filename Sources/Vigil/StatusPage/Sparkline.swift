/// A small inline SVG line chart of one series over a time window: no axes, the line scaled
/// to the series' own minimum and maximum, gaps where samples are missing or not finite.
struct Sparkline {
    var width = 160
    var height = 32
    /// A gap longer than this many milliseconds breaks the line (missed collections, staleness).
    var maxGap: Int64

    /// At most this many points are drawn (every n-th sample beyond, the last one always kept).
    static let maxPoints = 240

    /// The `<svg>` element for `points` (sorted by time) within `from...to`; a flat line in the
    /// middle when every value is equal, an empty frame when there is nothing finite to draw.
    func svg(_ points: [(t: Int64, v: Double)], from: Int64, to: Int64, label: String) -> String {
        let finite = points.filter { $0.v.isFinite && $0.t >= from && $0.t <= to }
        let sampled = Self.thin(finite)
        let head = "<svg class=\"spark\" role=\"img\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
            + "<title>\(HTML.escape(label))</title>"
        guard let lo = sampled.map(\.v).min(), let hi = sampled.map(\.v).max(), to > from else {
            return head + "</svg>"
        }
        let w = Double(width - 2), h = Double(height - 4)
        func x(_ t: Int64) -> Double { 1 + w * Double(t - from) / Double(to - from) }
        func y(_ v: Double) -> Double { hi == lo ? 2 + h / 2 : 2 + h * (1 - (v - lo) / (hi - lo)) }
        var lines: [[String]] = [[]]
        var previous: Int64?
        for p in sampled {
            if let previous, p.t - previous > maxGap, !lines[lines.count - 1].isEmpty { lines.append([]) }
            lines[lines.count - 1].append("\(Self.fixed(x(p.t))),\(Self.fixed(y(p.v)))")
            previous = p.t
        }
        var body = ""
        for line in lines where !line.isEmpty {
            if line.count == 1 {
                let xy = line[0].split(separator: ",")
                body += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"1.5\"/>"
            } else {
                body += "<polyline points=\"\(line.joined(separator: " "))\"/>"
            }
        }
        return head + body + "</svg>"
    }

    static func thin(_ points: [(t: Int64, v: Double)]) -> [(t: Int64, v: Double)] {
        guard points.count > maxPoints else { return points }
        let step = (points.count + maxPoints - 1) / maxPoints
        var out = stride(from: 0, to: points.count, by: step).map { points[$0] }
        if let last = points.last, out.last?.t != last.t { out.append(last) }
        return out
    }

    /// One decimal, no exponent (SVG coordinates).
    static func fixed(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
