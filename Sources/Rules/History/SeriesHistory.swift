public import Foundation
public import VigilCore

/// Bounded in-memory history of every series: one ring buffer per label set, kept as long as
/// `retention` (milliseconds) asks — the loaded rules' longest range + offset + look-back.
/// Pure value type: time is always an argument.
///
/// Staleness follows Prometheus: when a source's collection no longer contains a series it had
/// before, a stale marker is appended at the collection time, and selectors stop returning it.
///
/// Series are interned: each label set gets a slot (an index into `buffers`), found once by
/// hashing when the series first appears. A source's next collection usually lists the same
/// samples in the same order, so ingest compares each sample with the one at the same position
/// last time (name, suffix and labels — equality, no hashing, no `LabelSet` built) and appends
/// into that slot's ring in place; only a sample that differs is looked up by its label set.
/// Which series a collection contained is an epoch stamp per slot, not a set.
public struct SeriesHistory: Sendable {
    /// How long samples are kept, in milliseconds.
    public var retention: Int64
    /// Hard cap of samples per series (protects memory against very short intervals).
    public let maxSamplesPerSeries: Int

    /// Slot → ring of samples; slot → label set ( `.empty` for a free slot).
    private var buffers: [RingBuffer] = []
    private var labelSets: [LabelSet] = []
    /// Bumped when a slot is freed, so a source's remembered slot of a dropped series is not reused.
    private var versions: [UInt32] = []
    /// The epoch of the last collection that contained the slot's series.
    private var seen: [UInt32] = []
    private var freeSlots: [Int] = []
    private var ids: [LabelSet: Int] = [:]
    private var byName: [String: Set<Int>] = [:]
    private var sources: [String: SourceState] = [:]
    private var epoch: UInt32 = 0
    /// Samples rejected because they were not newer than the last one of their series.
    public private(set) var outOfOrderSamples = 0

    /// One sample's identity as a collection delivers it (before the `LabelSet` is built).
    private struct SampleKey: Equatable, Sendable {
        let name: String
        let suffix: String
        let labels: Labels
    }

    private struct SlotRef: Sendable {
        let slot: Int
        let version: UInt32
        /// A position that stored nothing.
        static let none = SlotRef(slot: -1, version: 0)
    }

    /// What a source delivered last time, in its order: the slots (and, for collections, the
    /// sample keys that found them).
    private struct SourceState: Sendable {
        var keys: [SampleKey] = []
        var slots: [SlotRef] = []
    }

    public init(retention: Int64 = PromQL.lookbackDelta, maxSamplesPerSeries: Int = 100_000) {
        self.retention = retention
        self.maxSamplesPerSeries = maxSamplesPerSeries
    }

    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    // MARK: ingest

    /// Appends one collection: every sample of `families` at `at`. Series that `source` delivered
    /// last time and that are missing now get a stale marker. Samples older than the retention
    /// window are pruned.
    public mutating func append(families: [MetricFamily], at date: Date, source: String = "") {
        let t = Self.milliseconds(date)
        let previous = sources.removeValue(forKey: source) ?? SourceState()
        let stamp = nextEpoch()
        var current = SourceState()
        let total = families.reduce(0) { $0 + $1.samples.count }
        current.keys.reserveCapacity(total)
        current.slots.reserveCapacity(total)
        var position = 0
        for f in families {
            for s in f.samples {
                let key = SampleKey(name: f.name, suffix: s.suffix, labels: s.labels)
                var ref: SlotRef?
                if position < previous.keys.count, previous.keys[position] == key {
                    let known = previous.slots[position]
                    if known.slot >= 0, versions[known.slot] == known.version { ref = known }
                }
                if ref == nil {
                    ref = slot(for: LabelSet(name: f.name + s.suffix, labels: s.labels), creatingFor: s.value)
                }
                position += 1
                // Kept in position even when nothing was stored (a stale marker for a new series),
                // so the next collection's samples line up with these.
                current.keys.append(key)
                guard let ref else {
                    current.slots.append(SlotRef.none)
                    continue
                }
                seen[ref.slot] = stamp
                append(slot: ref.slot, t: t, value: s.value)
                current.slots.append(ref)
            }
        }
        markStale(previous.slots, stamp: stamp, at: t)
        sources[source] = current
        prune(now: t)
    }

    /// Appends the output of a rule evaluation (`source` names the rule) with the same staleness
    /// handling as collections.
    public mutating func append(samples: [(LabelSet, Double)], at t: Int64, source: String) {
        let previous = sources.removeValue(forKey: source) ?? SourceState()
        let stamp = nextEpoch()
        var current = SourceState()
        current.slots.reserveCapacity(samples.count)
        for (ls, v) in samples {
            guard let ref = slot(for: ls, creatingFor: v) else { continue }
            seen[ref.slot] = stamp
            append(slot: ref.slot, t: t, value: v)
            current.slots.append(ref)
        }
        markStale(previous.slots, stamp: stamp, at: t)
        sources[source] = current
    }

    private mutating func nextEpoch() -> UInt32 {
        epoch &+= 1
        if epoch == 0 {
            // Wrapped (after 4 billion collections): forget every stamp so none matches by accident.
            for i in seen.indices { seen[i] = 0 }
            epoch = 1
        }
        return epoch
    }

    /// Stale markers for the slots a source delivered last time and not in this collection.
    private mutating func markStale(_ previous: [SlotRef], stamp: UInt32, at t: Int64) {
        for ref in previous where ref.slot >= 0 && versions[ref.slot] == ref.version && seen[ref.slot] != stamp {
            seen[ref.slot] = stamp // listed twice last time: one marker
            append(slot: ref.slot, t: t, value: StaleMarker.value)
        }
    }

    /// The slot of `labels`, created when it is new — unless the first value is a stale marker
    /// (nil then: a marker never creates a series).
    private mutating func slot(for labels: LabelSet, creatingFor value: Double) -> SlotRef? {
        if let slot = ids[labels] { return SlotRef(slot: slot, version: versions[slot]) }
        if StaleMarker.isStale(value) { return nil }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            buffers[slot] = RingBuffer(maxSamples: maxSamplesPerSeries)
            labelSets[slot] = labels
        } else {
            slot = buffers.count
            buffers.append(RingBuffer(maxSamples: maxSamplesPerSeries))
            labelSets.append(labels)
            versions.append(0)
            seen.append(0)
        }
        ids[labels] = slot
        byName[labels.metricName ?? "", default: []].insert(slot)
        return SlotRef(slot: slot, version: versions[slot])
    }

    private mutating func append(slot: Int, t: Int64, value: Double) {
        if !buffers[slot].append(t, value) { outOfOrderSamples += 1 }
    }

    /// Appends one sample. Returns false when it is not newer than the series' last sample.
    @discardableResult
    public mutating func append(_ labels: LabelSet, t: Int64, value: Double) -> Bool {
        guard let ref = slot(for: labels, creatingFor: value) else { return false }
        let ok = buffers[ref.slot].append(t, value)
        if !ok { outOfOrderSamples += 1 }
        return ok
    }

    /// Drops samples older than `now - retention` and series left empty.
    public mutating func prune(now: Int64) {
        let cutoff = now - retention
        for slot in buffers.indices where !labelSets[slot].isEmpty {
            guard buffers[slot].oldestTime.map({ $0 < cutoff }) ?? true else { continue }
            buffers[slot].prune(before: cutoff)
            let buf = buffers[slot]
            if buf.isEmpty || (buf.count == 1 && buf.last.map { StaleMarker.isStale($0.v) } == true) {
                free(slot)
            }
        }
    }

    private mutating func free(_ slot: Int) {
        let labels = labelSets[slot]
        ids[labels] = nil
        let name = labels.metricName ?? ""
        byName[name]?.remove(slot)
        if byName[name]?.isEmpty == true { byName[name] = nil }
        buffers[slot] = RingBuffer(maxSamples: 1)
        labelSets[slot] = .empty
        versions[slot] &+= 1
        freeSlots.append(slot)
    }

    // MARK: query

    /// Label sets of the series matching every matcher, sorted.
    public func select(_ matchers: [LabelMatcher]) -> [LabelSet] {
        selectBuffers(matchers).map(\.0)
    }

    /// The matching series with their buffers, sorted by label set.
    func selectBuffers(_ matchers: [LabelMatcher]) -> [(LabelSet, RingBuffer)] {
        var out: [(LabelSet, RingBuffer)] = []
        func consider(_ slot: Int) {
            let ls = labelSets[slot]
            guard matchers.allSatisfy({ $0.matches(ls[$0.name] ?? "") }) else { return }
            out.append((ls, buffers[slot]))
        }
        if let nameMatcher = matchers.first(where: { $0.name == "__name__" && $0.op == .equal }) {
            for slot in byName[nameMatcher.value] ?? [] { consider(slot) }
        } else {
            for slot in labelSets.indices where !labelSets[slot].isEmpty { consider(slot) }
        }
        // Deterministic order (hash order varies between processes): by label set.
        out.sort { $0.0 < $1.0 }
        return out
    }

    /// The newest sample at or before `t` and after `t - lookback` (left-open), nil when there
    /// is none or it is a stale marker.
    public func latest(_ labels: LabelSet, at t: Int64, lookback: Int64) -> (t: Int64, v: Double)? {
        guard let slot = ids[labels] else { return nil }
        return buffers[slot].latest(at: t, lookback: lookback)
    }

    /// Samples in `(from, through]` without stale markers (Prometheus 3.x: left-open range).
    public func range(_ labels: LabelSet, after from: Int64, through: Int64) -> [(t: Int64, v: Double)] {
        guard let slot = ids[labels] else { return [] }
        return buffers[slot].samples(after: from, through: through).filter { !StaleMarker.isStale($0.v) }
    }

    // MARK: accounting

    public var seriesCount: Int { ids.count }
    public var sampleCount: Int { buffers.reduce(0) { $0 + $1.count } }

    /// Approximate bytes held: ring storage, label strings and index entries.
    public var memoryBytes: Int {
        var total = buffers.count * 40 // slot arrays: buffer header, label set, version, epoch
        for slot in buffers.indices where !labelSets[slot].isEmpty {
            total += buffers[slot].byteSize + labelSets[slot].byteSize + 16
        }
        for (_, state) in sources { total += state.slots.count * 16 + state.keys.count * 24 }
        return total
    }
}
