import Synchronization

/// The latest families of every source (a target's collection, the process, the rule engine),
/// and the exposition bodies rendered from them once per update. The HTTP path only copies bytes.
///
/// Only the formats somebody has asked for are rendered: a format is rendered from the first
/// request for it on (that request renders it, once), so a store scraped only in OpenMetrics —
/// what Prometheus asks for — never renders the text format on its landings.
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
        /// The formats `bodies` holds (`Formats` bits).
        var renderedFormats: UInt8 = 0
        var bodies = Bodies()
        var ready = false
    }

    /// Bits of the formats to render.
    private enum Formats {
        static let text: UInt8 = 1, openMetrics: UInt8 = 2, all: UInt8 = 3

        static func bit(_ format: ExpositionFormat) -> UInt8 { format == .text ? text : openMetrics }
    }

    /// Which (source, version) pairs a family name was rendered from.
    private struct Contributor: Equatable {
        var source: String
        var version: UInt64
    }

    /// One merged family rendered in the demanded formats (nil: not rendered), and what it was
    /// rendered from.
    private struct Fragment {
        var from: [Contributor]
        var text: [UInt8]?
        var openMetrics: [UInt8]?
        /// Distinguishes renderings, so a chunk knows whether its fragments are still the same.
        var serial: UInt64
    }

    /// A run of consecutive fragments compressed together, after the bytes that precede it.
    private struct Chunk {
        var serials: [UInt64]
        /// The serial of the fragment right before the chunk (its bytes are the dictionary).
        var after: UInt64
        var text: Gzip.Piece?
        var openMetrics: Gzip.Piece?
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
    /// The formats requested so far (`Formats` bits): only these are rendered.
    private let demanded = Atomic<UInt8>(0)
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

    /// Every body, both formats rendered (for tests and benchmarks).
    public func bodies() -> Bodies {
        demand(Formats.all)
        return state.withLock { $0.bodies }
    }

    /// The bodies and the generation they were rendered from, `format` among them: equal
    /// generations, equal bodies (of the formats both hold).
    public func rendering(_ format: ExpositionFormat) -> (generation: UInt64, bodies: Bodies) {
        demand(Formats.bit(format))
        return state.withLock { ($0.rendered, $0.bodies) }
    }

    public func body(_ format: ExpositionFormat, gzip: Bool) -> [UInt8] {
        demand(Formats.bit(format))
        return state.withLock { $0.bodies.body(format, gzip: gzip) }
    }

    /// The formats the current bodies were rendered in.
    var renderedFormats: Set<ExpositionFormat> {
        let bits = state.withLock { $0.renderedFormats }
        return Set(ExpositionFormat.allCases.filter { bits & Formats.bit($0) != 0 })
    }

    /// Makes the formats in `bits` rendered from now on; the first time, renders them at once
    /// (after a landing being rendered, if any), so the caller finds them. Before the first
    /// update there is nothing to render: the bodies stay empty.
    private func demand(_ bits: UInt8) {
        guard demanded.load(ordering: .acquiring) & bits != bits else { return }
        demanded.bitwiseOr(bits, ordering: .acquiringAndReleasing)
        if state.withLock({ $0.generation > 0 }) { rerender() }
    }

    /// All families merged by name, as they are rendered.
    public func families() -> [MetricFamily] {
        let sources = state.withLock { $0.sources }
        return Self.merge(sources.mapValues(\.families))
    }

    public var isReady: Bool { state.withLock { $0.ready } }
    public func markReady() { state.withLock { $0.ready = true } }

    /// Assembles the bodies of the demanded formats from one fragment per family name. A name's
    /// fragment is its families merged across the sources that hold it (`merge`, so output is
    /// what merging everything gives) and is rendered again only when one of those sources
    /// landed, left or joined since the last rendering, or a format it lacks is now demanded; the
    /// others are reused as they are. Runs of fragments (chunks, cut by name) are compressed on
    /// their own (`Gzip.Piece`, the 32 KiB before them as dictionary, so again when those
    /// changed), and the gzip bodies are those pieces joined into one gzip member.
    private func rerender() {
        renderLock.withLock { cache in
            let formats = demanded.load(ordering: .acquiring)
            let wantText = formats & Formats.text != 0, wantOM = formats & Formats.openMetrics != 0
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
            if wantText { text.reserveCapacity(cache.fragments.values.reduce(0) { $0 + ($1.text?.count ?? 0) }) }
            if wantOM { om.reserveCapacity(cache.fragments.values.reduce(0) { $0 + ($1.openMetrics?.count ?? 0) } + 6) }
            // Non-empty fragments in body order: serial, name, where they start in each body.
            var placed: [(serial: UInt64, name: String, text: Int, om: Int)] = []
            placed.reserveCapacity(from.count)
            for name in from.keys.sorted() {
                let contributors = from[name]!
                var fragment: Fragment
                if let cached = cache.fragments[name], cached.from == contributors {
                    fragment = cached
                } else {
                    cache.serial &+= 1
                    fragment = Fragment(from: contributors, text: nil, openMetrics: nil, serial: cache.serial)
                }
                let missingText = wantText && fragment.text == nil, missingOM = wantOM && fragment.openMetrics == nil
                if missingText || missingOM {
                    var parts: [String: [MetricFamily]] = [:]
                    for c in contributors { parts[c.source] = sources[c.source]!.byName[name] }
                    let merged = Self.merge(parts)
                    if missingText {
                        var t: [UInt8] = []
                        for family in merged { ExpositionRenderer.append(family, format: .text, to: &t) }
                        fragment.text = t
                    }
                    if missingOM {
                        var o: [UInt8] = []
                        for family in merged { ExpositionRenderer.append(family, format: .openMetrics, to: &o) }
                        fragment.openMetrics = o
                    }
                }
                let t = wantText ? fragment.text ?? [] : [], o = wantOM ? fragment.openMetrics ?? [] : []
                if !t.isEmpty || !o.isEmpty { placed.append((fragment.serial, name, text.count, om.count)) }
                text.append(contentsOf: t)
                om.append(contentsOf: o)
                next[name] = fragment
            }
            // Chunks: compressed again only when their fragments or the one before them changed,
            // or a format they lack is now demanded.
            var textPieces: [Gzip.Piece] = []
            var omPieces: [Gzip.Piece] = []
            var chunks: [UInt64: Chunk] = [:]
            var start = 0
            var after: UInt64 = 0
            for i in placed.indices where i == placed.count - 1 || Self.endsChunk(placed[i].name) {
                let serials = placed[start...i].map(\.serial)
                var chunk = Chunk(serials: serials, after: after, text: nil, openMetrics: nil)
                if let cached = cache.chunks[serials[0]], cached.serials == serials, cached.after == after { chunk = cached }
                if wantText, chunk.text == nil {
                    let t0 = placed[start].text, t1 = i + 1 < placed.count ? placed[i + 1].text : text.count
                    // The dictionary is the one fragment before (what `after` names), never more:
                    // bytes further back may change without this chunk being compressed again.
                    let tp = start > 0 ? max(placed[start - 1].text, t0 - (32 << 10)) : t0
                    chunk.text = Gzip.piece(Array(text[t0..<t1]), preceding: Array(text[tp..<t0])) ?? .empty
                }
                if wantOM, chunk.openMetrics == nil {
                    let o0 = placed[start].om, o1 = i + 1 < placed.count ? placed[i + 1].om : om.count
                    let op = start > 0 ? max(placed[start - 1].om, o0 - (32 << 10)) : o0
                    chunk.openMetrics = Gzip.piece(Array(om[o0..<o1]), preceding: Array(om[op..<o0])) ?? .empty
                }
                if wantText { textPieces.append(chunk.text ?? .empty) }
                if wantOM { omPieces.append(chunk.openMetrics ?? .empty) }
                chunks[serials[0]] = chunk
                after = placed[i].serial
                start = i + 1
            }
            cache.chunks = chunks
            cache.fragments = next
            var bodies = Bodies()
            if wantText {
                text.append(contentsOf: ExpositionRenderer.trailer(.text))
                bodies.text = text
                bodies.textGzip = Gzip.member(textPieces)
            }
            if wantOM {
                om.append(contentsOf: ExpositionRenderer.trailer(.openMetrics))
                omPieces.append(Self.trailerGzip)
                bodies.openMetrics = om
                bodies.openMetricsGzip = Gzip.member(omPieces)
            }
            state.withLock {
                // Newer bodies, or the same generation with more formats (a first request for a
                // format renders again what a landing had just rendered without it).
                let more = formats & $0.renderedFormats == $0.renderedFormats && formats != $0.renderedFormats
                if generation > $0.rendered || generation == $0.rendered && more {
                    $0.bodies = bodies
                    $0.rendered = generation
                    $0.renderedFormats = formats
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
