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
        /// Distinguishes renderings, so a chunk knows whether its fragments are still the same.
        var serial: UInt64
    }

    /// A run of consecutive fragments compressed together, after the bytes that precede it.
    private struct Chunk {
        var serials: [UInt64]
        /// The serial of the fragment right before the chunk (its bytes are the dictionary).
        var after: UInt64
        var text: Gzip.Piece
        var openMetrics: Gzip.Piece
    }

    private struct Cache {
        var fragments: [String: Fragment] = [:]
        /// Chunks by the serial of their first fragment.
        var chunks: [UInt64: Chunk] = [:]
        var serial: UInt64 = 0
    }

    /// The OpenMetrics trailer, compressed once.
    private static let trailerGzip = Gzip.piece(ExpositionRenderer.trailer(.openMetrics)) ?? .empty

    /// Whether a chunk ends after the family `name`: decided by the name alone (FNV-1a, 1 in 8),
    /// so chunk boundaries stay put while values change and a landing recompresses only the
    /// chunks holding what changed (and the chunk after each, whose dictionary changed).
    static func endsChunk(_ name: String) -> Bool {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h % 8 == 0
    }

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

    /// The bodies and the generation they were rendered from: equal generations, equal bodies.
    public func rendering() -> (generation: UInt64, bodies: Bodies) { state.withLock { ($0.rendered, $0.bodies) } }

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
    /// rendering; the others are reused as they are. Runs of fragments (chunks, cut by name) are
    /// compressed on their own (`Gzip.Piece`, the 32 KiB before them as dictionary, so again when
    /// those changed), and the gzip bodies are those pieces joined into one gzip member.
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
            text.reserveCapacity(cache.fragments.values.reduce(0) { $0 + $1.text.count })
            om.reserveCapacity(cache.fragments.values.reduce(0) { $0 + $1.openMetrics.count } + 6)
            // Non-empty fragments in body order: serial, name, where they start in each body.
            var placed: [(serial: UInt64, name: String, text: Int, om: Int)] = []
            placed.reserveCapacity(from.count)
            for name in from.keys.sorted() {
                let contributors = from[name]!
                let fragment: Fragment
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
                    fragment = Fragment(from: contributors, text: t, openMetrics: o, serial: cache.serial)
                }
                if !fragment.text.isEmpty { placed.append((fragment.serial, name, text.count, om.count)) }
                text.append(contentsOf: fragment.text)
                om.append(contentsOf: fragment.openMetrics)
                next[name] = fragment
            }
            // Chunks: compressed again only when their fragments or the one before them changed.
            var textPieces: [Gzip.Piece] = []
            var omPieces: [Gzip.Piece] = []
            var chunks: [UInt64: Chunk] = [:]
            var start = 0
            var after: UInt64 = 0
            for i in placed.indices where i == placed.count - 1 || Self.endsChunk(placed[i].name) {
                let serials = placed[start...i].map(\.serial)
                let chunk: Chunk
                if let cached = cache.chunks[serials[0]], cached.serials == serials, cached.after == after {
                    chunk = cached
                } else {
                    let t0 = placed[start].text, o0 = placed[start].om
                    let t1 = i + 1 < placed.count ? placed[i + 1].text : text.count
                    let o1 = i + 1 < placed.count ? placed[i + 1].om : om.count
                    // The dictionary is the one fragment before (what `after` names), never more:
                    // bytes further back may change without this chunk being compressed again.
                    let tp = start > 0 ? max(placed[start - 1].text, t0 - (32 << 10)) : t0
                    let op = start > 0 ? max(placed[start - 1].om, o0 - (32 << 10)) : o0
                    chunk = Chunk(
                        serials: serials, after: after,
                        text: Gzip.piece(Array(text[t0..<t1]), preceding: Array(text[tp..<t0])) ?? .empty,
                        openMetrics: Gzip.piece(Array(om[o0..<o1]), preceding: Array(om[op..<o0])) ?? .empty)
                }
                textPieces.append(chunk.text)
                omPieces.append(chunk.openMetrics)
                chunks[serials[0]] = chunk
                after = placed[i].serial
                start = i + 1
            }
            cache.chunks = chunks
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
        // One source, one family of distinct series (the common case: a name only one target
        // has): what merging gives is the family itself.
        if sources.count == 1, let only = sources.first?.value, only.count == 1, only[0].seriesAreDistinct {
            return only
        }
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
