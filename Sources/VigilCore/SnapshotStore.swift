import Synchronization

/// The latest families of every source (a target's collection, the process, the rule engine),
/// and the exposition bodies rendered from them once per update. The HTTP path only copies bytes.
public final class SnapshotStore: Sendable {
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

    /// One source's latest families, grouped by name (in their order) when they land.
    private struct Source {
        /// The generation of the update that brought these families: a fragment cache key.
        var version: UInt64
        var families: [MetricFamily]
        var byName: [String: [MetricFamily]]
    }

    private struct State {
        var sources: [String: Source] = [:]
        var generation: UInt64 = 0
        var rendered: UInt64 = 0
        var bodies = Bodies()
        var ready = false
    }

    /// Which (source, version) pairs a family name was rendered from.
    private struct Contributor: Equatable {
        var source: String
        var version: UInt64
    }

    /// One merged family rendered in both formats, and what it was rendered from.
    private struct Fragment {
        var from: [Contributor]
        var text: [UInt8]
        var openMetrics: [UInt8]
        /// Distinguishes renderings: a gzip piece is compressed after its predecessor's bytes.
        var serial: UInt64
        /// Compressed with the preceding fragment's bytes as dictionary; valid after `gzipAfter`.
        var textGzip: Gzip.Piece
        var openMetricsGzip: Gzip.Piece
        var gzipAfter: UInt64
    }

    private struct Cache {
        var fragments: [String: Fragment] = [:]
        var serial: UInt64 = 0
    }

    /// The OpenMetrics trailer, compressed once.
    private static let trailerGzip = Gzip.piece(ExpositionRenderer.trailer(.openMetrics)) ?? .empty

    private let state = Mutex(State())
    /// Serialises rendering so the newest generation is the one installed; holds the fragments
    /// of the last rendering, by family name.
    private let renderLock = Mutex(Cache())

    public init() {}

    /// Replaces the families of `source` and re-renders the bodies.
    public func update(source: String, families: [MetricFamily]) {
        var grouped: [String: [MetricFamily]] = [:]
        for family in families { grouped[family.name, default: []].append(family) }
        state.withLock {
            $0.generation &+= 1
            $0.sources[source] = Source(version: $0.generation, families: families, byName: grouped)
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
        return Self.merge(sources.mapValues(\.families))
    }

    public var isReady: Bool { state.withLock { $0.ready } }
    public func markReady() { state.withLock { $0.ready = true } }

    /// Assembles the bodies from one fragment per family name. A name's fragment is its families
    /// merged across the sources that hold it (`merge`, so output is what merging everything gives)
    /// and is rendered again only when one of those sources landed, left or joined since the last
    /// rendering; the others are reused as they are. Each fragment is also compressed on its own
    /// (`Gzip.Piece`, with the preceding fragment's bytes as dictionary, so again when that one
    /// changed), and the gzip bodies are those pieces joined into one gzip member.
    private func rerender() {
        renderLock.withLock { cache in
            let (sources, generation) = state.withLock { ($0.sources, $0.generation) }
            var from: [String: [Contributor]] = [:]
            for key in sources.keys.sorted() {
                let source = sources[key]!
                for name in source.byName.keys {
                    from[name, default: []].append(Contributor(source: key, version: source.version))
                }
            }
            var next: [String: Fragment] = [:]
            next.reserveCapacity(from.count)
            var text: [UInt8] = []
            var om: [UInt8] = []
            var textPieces: [Gzip.Piece] = []
            var omPieces: [Gzip.Piece] = []
            textPieces.reserveCapacity(from.count)
            omPieces.reserveCapacity(from.count + 1)
            text.reserveCapacity(cache.fragments.values.reduce(0) { $0 + $1.text.count })
            om.reserveCapacity(cache.fragments.values.reduce(0) { $0 + $1.openMetrics.count } + 6)
            // The previous non-empty fragment: the dictionary a gzip piece is compressed after.
            var previous = Fragment(from: [], text: [], openMetrics: [], serial: 0,
                                    textGzip: .empty, openMetricsGzip: .empty, gzipAfter: 0)
            for name in from.keys.sorted() {
                let contributors = from[name]!
                var fragment: Fragment
                if let cached = cache.fragments[name], cached.from == contributors {
                    fragment = cached
                } else {
                    var parts: [String: [MetricFamily]] = [:]
                    for c in contributors { parts[c.source] = sources[c.source]!.byName[name] }
                    var t: [UInt8] = []
                    var o: [UInt8] = []
                    for family in Self.merge(parts) {
                        ExpositionRenderer.append(family, format: .text, to: &t)
                        ExpositionRenderer.append(family, format: .openMetrics, to: &o)
                    }
                    cache.serial &+= 1
                    fragment = Fragment(from: contributors, text: t, openMetrics: o, serial: cache.serial,
                                        textGzip: .empty, openMetricsGzip: .empty, gzipAfter: .max)
                }
                if !fragment.text.isEmpty {
                    if fragment.gzipAfter != previous.serial {
                        fragment.textGzip = Gzip.piece(fragment.text, preceding: previous.text) ?? .empty
                        fragment.openMetricsGzip = Gzip.piece(fragment.openMetrics, preceding: previous.openMetrics) ?? .empty
                        fragment.gzipAfter = previous.serial
                    }
                    previous = fragment
                }
                text.append(contentsOf: fragment.text)
                om.append(contentsOf: fragment.openMetrics)
                textPieces.append(fragment.textGzip)
                omPieces.append(fragment.openMetricsGzip)
                next[name] = fragment
            }
            text.append(contentsOf: ExpositionRenderer.trailer(.text))
            om.append(contentsOf: ExpositionRenderer.trailer(.openMetrics))
            omPieces.append(Self.trailerGzip)
            cache.fragments = next
            let bodies = Bodies(
                text: text, textGzip: Gzip.member(textPieces),
                openMetrics: om, openMetricsGzip: Gzip.member(omPieces))
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
