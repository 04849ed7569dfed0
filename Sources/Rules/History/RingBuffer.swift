/// Samples of one series in time order: a growable ring that drops its oldest samples when
/// pruned or when it reaches `maxSamples`. Times and values live side by side in one array
/// (one allocation per series, one uniqueness check per append).
struct RingBuffer: Sendable {
    private struct Slot: Sendable {
        var t: Int64
        var v: Double
    }

    private var slots: [Slot] = []
    private var head = 0
    private(set) var count = 0
    let maxSamples: Int

    init(maxSamples: Int) { self.maxSamples = max(1, maxSamples) }

    var capacity: Int { slots.count }
    var isEmpty: Bool { count == 0 }

    private func slot(_ i: Int) -> Int {
        let s = head + i
        return s >= slots.count ? s - slots.count : s
    }

    func time(_ i: Int) -> Int64 { slots[slot(i)].t }
    func value(_ i: Int) -> Double { slots[slot(i)].v }
    var lastTime: Int64? { count > 0 ? time(count - 1) : nil }
    var oldestTime: Int64? { count > 0 ? slots[head].t : nil }
    var last: (t: Int64, v: Double)? {
        guard count > 0 else { return nil }
        let s = slots[slot(count - 1)]
        return (s.t, s.v)
    }

    /// Appends a sample; returns false (and drops it) when it is not newer than the last one.
    @discardableResult
    mutating func append(_ t: Int64, _ v: Double) -> Bool {
        if let last = lastTime, t <= last { return false }
        if count == slots.count {
            if count >= maxSamples {
                // Full at the cap: overwrite the oldest.
                slots[head] = Slot(t: t, v: v)
                head = slot(1)
                return true
            }
            resize(to: min(maxSamples, max(4, slots.count * 2)))
        }
        slots[slot(count)] = Slot(t: t, v: v)
        count += 1
        return true
    }

    private mutating func resize(to capacity: Int) {
        var grown: [Slot] = []
        grown.reserveCapacity(capacity)
        for i in 0..<count { grown.append(slots[slot(i)]) }
        grown.append(contentsOf: repeatElement(Slot(t: 0, v: 0), count: capacity - count))
        slots = grown
        head = 0
    }

    /// Drops samples older than `t` (strictly).
    mutating func prune(before t: Int64) {
        while count > 0, slots[head].t < t {
            head = slot(1)
            count -= 1
        }
        if count == 0 { head = 0 }
        // Shrink when mostly empty, so memory follows retention.
        if slots.count > 16, count * 4 < slots.count { resize(to: slots.count / 2) }
    }

    /// Index of the first sample with time > t.
    func firstIndex(after t: Int64) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if time(mid) <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Samples with `from < t <= through` (left-open, as Prometheus 3.x selects ranges).
    func samples(after from: Int64, through: Int64) -> [(t: Int64, v: Double)] {
        let start = firstIndex(after: from)
        let end = firstIndex(after: through)
        guard start < end else { return [] }
        return (start..<end).map { (time($0), value($0)) }
    }

    var byteSize: Int { slots.count * 16 + 64 }

    /// The newest non-stale sample in `(t - lookback, t]`, nil when the newest is stale or none.
    func latest(at t: Int64, lookback: Int64) -> (t: Int64, v: Double)? {
        let i = firstIndex(after: t) - 1
        guard i >= 0 else { return nil }
        let st = time(i), v = value(i)
        guard st > t - lookback, !StaleMarker.isStale(v) else { return nil }
        return (st, v)
    }

    /// Points in `(from, through]` without stale markers, in one pass.
    func points(after from: Int64, through: Int64) -> [RangeSeries.Point] {
        let start = firstIndex(after: from)
        let end = firstIndex(after: through)
        guard start < end else { return [] }
        var out: [RangeSeries.Point] = []
        out.reserveCapacity(end - start)
        for i in start..<end {
            let v = value(i)
            if !StaleMarker.isStale(v) { out.append(RangeSeries.Point(t: time(i), v: v)) }
        }
        return out
    }
}
