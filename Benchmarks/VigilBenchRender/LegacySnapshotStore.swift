import Synchronization
import VigilCore

/// SnapshotStore as of 487c814 (every landing re-renders every body), for the A/B of VigilBenchRender.
/// The latest families of every source (a target's collection, the process, the rule engine),
/// and the exposition bodies rendered from them once per update. The HTTP path only copies bytes.
final class LegacySnapshotStore: Sendable {
    /// Pre-rendered bodies: plain and gzip, in both formats.
    public struct Bodies: Sendable {
        public var text: [UInt8] = []
        public var textGzip: [UInt8] = []
        public var openMetrics: [UInt8] = []
        public var openMetricsGzip: [UInt8] = []

        public func body(_ format: ExpositionFormat, gzip: Bool) -> [UInt8] {
            switch (format, gzip) {
            case (.text, false): text
            case (.text, true): textGzip
            case (.openMetrics, false): openMetrics
            case (.openMetrics, true): openMetricsGzip
            }
        }
    }

    private struct State {
        var sources: [String: [MetricFamily]] = [:]
        var generation: UInt64 = 0
        var rendered: UInt64 = 0
        var bodies = Bodies()
        var ready = false
    }

    private let state = Mutex(State())
    /// Serialises rendering so the newest generation is the one installed.
    private let renderLock = Mutex(())

    public init() {}

    /// Replaces the families of `source` and re-renders the bodies.
    public func update(source: String, families: [MetricFamily]) {
        state.withLock {
            $0.sources[source] = families
            $0.generation &+= 1
        }
        rerender()
    }

    /// Removes `source` (a target that was unconfigured) and re-renders.
    public func remove(source: String) {
        let changed = state.withLock { s -> Bool in
            guard s.sources.removeValue(forKey: source) != nil else { return false }
            s.generation &+= 1
            return true
        }
        if changed { rerender() }
    }

    /// Removes every source whose key is not in `keep`.
    public func retain(sources keep: Set<String>) {
        let changed = state.withLock { s -> Bool in
            let before = s.sources.count
            s.sources = s.sources.filter { keep.contains($0.key) }
            guard s.sources.count != before else { return false }
            s.generation &+= 1
            return true
        }
        if changed { rerender() }
    }

    public func bodies() -> Bodies { state.withLock { $0.bodies } }

    public func body(_ format: ExpositionFormat, gzip: Bool) -> [UInt8] {
        state.withLock { $0.bodies.body(format, gzip: gzip) }
    }

    /// All families merged by name, as they are rendered.
    public func families() -> [MetricFamily] {
        let sources = state.withLock { $0.sources }
        return Self.merge(sources)
    }

    public var isReady: Bool { state.withLock { $0.ready } }
    public func markReady() { state.withLock { $0.ready = true } }

    private func rerender() {
        renderLock.withLock { _ in
            let (sources, generation) = state.withLock { ($0.sources, $0.generation) }
            let merged = Self.merge(sources)
            let text = ExpositionRenderer.render(merged, format: .text)
            let om = ExpositionRenderer.render(merged, format: .openMetrics)
            let bodies = Bodies(
                text: text, textGzip: Gzip.compress(text) ?? [],
                openMetrics: om, openMetricsGzip: Gzip.compress(om) ?? [])
            state.withLock {
                if generation > $0.rendered {
                    $0.bodies = bodies
                    $0.rendered = generation
                }
            }
        }
    }

    /// Merges families of the same name across sources: one HELP and TYPE (the first source's,
    /// in source-key order), samples in source order, no duplicate series, families by name.
    static func merge(_ sources: [String: [MetricFamily]]) -> [MetricFamily] {
        var byName: [String: MetricFamily] = [:]
        var seen: [String: Set<SeriesKey>] = [:]
        for key in sources.keys.sorted() {
            for family in sources[key] ?? [] {
                var target = byName[family.name] ?? MetricFamily(name: family.name, help: family.help, type: family.type)
                guard target.type == family.type else { continue }
                var keys = seen[family.name] ?? []
                for s in family.samples where keys.insert(SeriesKey(suffix: s.suffix, labels: s.labels)).inserted {
                    target.samples.append(s)
                }
                seen[family.name] = keys
                byName[family.name] = target
            }
        }
        return byName.keys.sorted().compactMap { byName[$0] }
    }

    private struct SeriesKey: Hashable {
        var suffix: String
        var labels: Labels
    }
}
