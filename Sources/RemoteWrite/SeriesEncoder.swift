public import AppCollector
public import VigilCore

/// Turns landed families into samples to send: `__name__` from the family (and the sample's
/// suffix), the external labels where the series has no label of that name, then
/// `write_relabel_configs` (after the external labels, as in Prometheus), empty values
/// dropped, names sorted. Pure.
public struct SeriesEncoder: Sendable {
    let external: [Label]
    let relabel: [RelabelRule]

    public init(externalLabels: [String: String], relabel: [RelabelRule]) {
        self.external = externalLabels.filter { !$0.value.isEmpty }.map { Label($0.key, $0.value) }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        self.relabel = relabel
    }

    /// Appends one pending sample per sample of `families`, stamped `timestamp` (ms); returns
    /// how many samples relabelling dropped.
    public func encode(_ families: [MetricFamily], timestamp: Int64, into out: inout [WriteRequest.Pending]) -> Int {
        var dropped = 0
        for f in families {
            for s in f.samples {
                guard let labels = labels(name: f.name + s.suffix, s.labels) else { dropped += 1; continue }
                out.append(WriteRequest.Pending(labels: WriteRequest.encodeLabels(labels), value: s.value, timestamp: timestamp))
            }
        }
        return dropped
    }

    /// The series' labels as sent, or nil when relabelling drops it (or leaves it unnamed).
    public func labels(name: String, _ own: Labels) -> [(name: String, value: String)]? {
        var all = [Label("__name__", name)]
        all.reserveCapacity(own.count + external.count + 1)
        for l in own where l.name != "__name__" { all.append(l) }
        for e in external where (own[e.name] ?? "").isEmpty { all.append(e) }
        if !relabel.isEmpty {
            guard let relabelled = RelabelRule.process(all, relabel) else { return nil }
            all = relabelled
        }
        all.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var out: [(name: String, value: String)] = []
        out.reserveCapacity(all.count)
        for l in all where !l.value.isEmpty {
            if let last = out.last, last.name == l.name { continue }
            out.append((l.name, l.value))
        }
        guard out.first(where: { $0.name == "__name__" }) != nil else { return nil }
        return out
    }
}
