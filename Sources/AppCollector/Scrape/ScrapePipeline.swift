public import VigilCore

/// What Prometheus does to a parsed body before it stores it, as a pure function: target
/// labels (`honor_labels`), `metric_relabel_configs`, then `label_limit` and `sample_limit`.
public enum ScrapePipeline {
    public struct Output: Sendable {
        public var families: [MetricFamily]
        /// Samples in the body (`scrape_samples_scraped`).
        public var scraped: Int
        /// Samples kept after relabeling (`scrape_samples_post_metric_relabeling`).
        public var kept: Int
        /// A hash per kept series, for `scrape_series_added`.
        public var seriesHashes: Set<Int>
    }

    public struct LimitExceeded: Error, Sendable, Hashable, CustomStringConvertible {
        public enum Reason: String, Sendable, Hashable {
            case sampleLimit = "sample_limit"
            case labelLimit = "label_limit"
        }
        public let reason: Reason
        public let message: String
        public var description: String { message }
    }

    public static func process(_ body: ScrapedBody, targetLabels: [Label], honorLabels: Bool, relabel: [RelabelRule],
                               sampleLimit: Int, labelLimit: Int) throws(LimitExceeded) -> Output {
        var builder = FamilyBuilder()
        var kept = 0
        var hashes: Set<Int> = []
        hashes.reserveCapacity(body.series.count)
        // The parser refused repeated series. Two can still become one (the first wins) by
        // dropping empty-valued labels, by a scraped label meeting a target label
        // (`honor_labels`, `exported_…`), or by relabeling; otherwise no duplicate check is needed.
        let hasEmpty = body.series.contains { $0.labels.contains { $0.value.isEmpty } }
        let meetsTarget = body.series.contains {
            $0.labels.contains { l in l.name.hasPrefix("exported_") || targetLabels.contains { $0.name == l.name } }
        }
        let mayRepeat = hasEmpty || meetsTarget || !relabel.isEmpty
        for s in body.series {
            var labels = s.labels
            if hasEmpty { labels.removeAll { $0.value.isEmpty } }
            attach(targetLabels, to: &labels, honor: honorLabels)
            var name = s.name
            if !relabel.isEmpty {
                labels.append(Label("__name__", name))
                guard let out = RelabelRule.process(labels, relabel) else { continue }
                guard let i = out.firstIndex(where: { $0.name == "__name__" }) else { continue }
                name = out[i].value
                labels = out
                labels.remove(at: i)
            }
            if labelLimit > 0, labels.count + 1 > labelLimit {
                throw LimitExceeded(reason: .labelLimit,
                                    message: "label_limit exceeded: \(name) has \(labels.count + 1) labels with __name__, the limit is \(labelLimit)")
            }
            kept += 1
            if sampleLimit > 0, kept > sampleLimit {
                throw LimitExceeded(reason: .sampleLimit, message: "sample_limit exceeded: more than \(sampleLimit) samples after relabeling")
            }
            var hasher = Hasher()
            hasher.combine(name)
            for l in labels.sorted(by: { $0.name < $1.name }) { hasher.combine(l.name); hasher.combine(l.value) }
            hashes.insert(hasher.finalize())
            let family = body.families[s.family]
            if name == s.name, !mayRepeat {
                builder.addUnique(family.name, family.type, s.value, Labels(labels), suffix: s.suffix, help: family.help)
            } else if name == s.name {
                builder.add(family.name, family.type, s.value, Labels(labels), suffix: s.suffix, help: family.help)
            } else {
                builder.add(name, .untyped, s.value, Labels(labels), help: "")
            }
        }
        return Output(families: builder.families, scraped: body.series.count, kept: kept, seriesHashes: hashes)
    }

    /// Puts the target's labels on a scraped series. With `honor` the scraped value of a label
    /// wins; without, the target's wins and the scraped one moves to `exported_<name>`
    /// (`exported_exported_<name>` when that is taken too), as Prometheus does.
    static func attach(_ target: [Label], to labels: inout [Label], honor: Bool) {
        var conflicts: [Label] = []
        for t in target {
            if let i = labels.firstIndex(where: { $0.name == t.name }) {
                if honor { continue }
                conflicts.append(labels[i])
                labels[i].value = t.value
            } else {
                labels.append(t)
            }
        }
        for c in conflicts {
            var name = "exported_" + c.name
            while labels.contains(where: { $0.name == name }) { name = "exported_" + name }
            labels.append(Label(name, c.value))
        }
    }
}
