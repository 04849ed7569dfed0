// vigil-bench-render: what SnapshotStore spends rendering one collection interval, before and
// after fragment caching, and how many /metrics bodies readers copy meanwhile.
//
//   VigilBenchRender [--series N] [--intervals K] [--serve-seconds S] [--readers R]
//
// Sources as a deployment has them: one scrape target with N series (N/100 families of 100
// series), a PostgreSQL-sized and a Redis-sized target, the rule engine's outputs, the process'
// self-metrics and the notifier's; one family name (`vigil_target_up`) is held by four of them, so
// it is merged across sources. One interval = every source landing once with fresh values.
//
// 1. CPU (thread CPU time) of one interval's updates: LegacySnapshotStore (487c814: every
//    landing re-renders and gzips every body) and SnapshotStore, alternating, K intervals each,
//    medians; plus what gzip of the four final bodies alone costs. Bodies are checked identical.
// 2. Serving: R reader threads copy the gzip OpenMetrics body (what Prometheus asks for) as
//    fast as they can for S seconds while one interval lands every second; bodies per second,
//    legacy and current alternating (which first, too), 5 rounds, medians.
import Foundation
import Synchronization
import VigilCore

struct Options {
    var series = 100_000
    var intervals = 7
    var serveSeconds = 8
    var readers = 2

    init(_ args: [String]) {
        var i = 0
        func next() -> Int { i += 1; return i < args.count ? Int(args[i]) ?? 0 : 0 }
        while i < args.count {
            switch args[i] {
            case "--series": series = next()
            case "--intervals": intervals = next()
            case "--serve-seconds": serveSeconds = next()
            case "--readers": readers = next()
            default:
                FileHandle.standardError.write(Data("usage: VigilBenchRender [--series N] [--intervals K] [--serve-seconds S] [--readers R]\n".utf8))
                exit(2)
            }
            i += 1
        }
    }
}

func threadCPUms() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// The families of every source for interval `k` (values move with k, labels stay).
func sources(series: Int, interval k: Int) -> [(String, [MetricFamily])] {
    func block(_ prefix: String, families: Int, perFamily: Int, source: String) -> [MetricFamily] {
        (0..<families).map { f in
            let counter = f % 2 == 0
            let name = counter ? "\(prefix)_\(f)_total" : "\(prefix)_\(f)"
            var samples: [Sample] = []
            for s in 0..<perFamily {
                let labels: Labels = ["instance": source, "path": "/api/v\(s % 7)/item/\(s)", "code": "\(200 + s % 5)"]
                let value: Double = counter ? Double(k * 1000 + s * 17 + f) : Double((k + s + f) % 997) / 8
                samples.append(Sample(labels, value))
            }
            return MetricFamily(name: name, help: "Synthetic \(prefix) family \(f).", type: counter ? .counter : .gauge, samples: samples)
        }
    }
    func up(_ source: String) -> MetricFamily { .gauge("vigil_target_up", "Whether the target's last collection worked.", value: 1, labels: ["target": source]) }
    let perFamily = 100
    return [
        ("scrape/app", block("app", families: series / perFamily, perFamily: perFamily, source: "app") + [up("scrape/app")]),
        ("postgres/primary", block("pg", families: 60, perFamily: 10, source: "primary") + [up("postgres/primary")]),
        ("redis/cache", block("redis", families: 40, perFamily: 5, source: "cache") + [up("redis/cache")]),
        ("rules", block("rule", families: 20, perFamily: 10, source: "rules")),
        ("self", block("vigil_process", families: 15, perFamily: 2, source: "self") + [up("self")]),
        ("notify", block("vigil_notify", families: 10, perFamily: 2, source: "notify")),
    ]
}

final class Flag: Sendable {
    let stop = Atomic(false)
    let count = Atomic(0)
}

protocol Store: Sendable {
    func update(source: String, families: [MetricFamily])
    func body(_ format: ExpositionFormat, gzip: Bool) -> [UInt8]
}
extension SnapshotStore: Store {}
extension LegacySnapshotStore: Store {}

func benchmark() {
    let options = Options(Array(CommandLine.arguments.dropFirst()))
    log("generating \(options.intervals + 1) intervals of \(options.series) + ~1,100 series")
    let data = (0...options.intervals).map { sources(series: options.series, interval: $0) }

    // 1. CPU per interval.
    let legacy = LegacySnapshotStore()
    let current = SnapshotStore()
    for (k, v) in data[0] { legacy.update(source: k, families: v); current.update(source: k, families: v) }
    var legacyMs: [Double] = [], currentMs: [Double] = [], gzipMs: [Double] = []
    for k in 1...options.intervals {
        func land(_ store: some Store) -> Double {
            let c = threadCPUms()
            for (key, families) in data[k] { store.update(source: key, families: families) }
            return threadCPUms() - c
        }
        if k % 2 == 0 { legacyMs.append(land(legacy)); currentMs.append(land(current)) } else { currentMs.append(land(current)); legacyMs.append(land(legacy)) }
        for format in ExpositionFormat.allCases {
            let plain = current.body(format, gzip: false)
            // Plain bodies byte-identical; gzip bodies differ in bytes (pieces) but decode the same.
            if plain != legacy.body(format, gzip: false) || Gzip.decompress(current.body(format, gzip: true)) != plain {
                log("MISMATCH at interval \(k): \(format)")
                exit(1)
            }
        }
        let c = threadCPUms()
        _ = Gzip.compress(current.body(.text, gzip: false))
        _ = Gzip.compress(current.body(.openMetrics, gzip: false))
        gzipMs.append(threadCPUms() - c)
        log(String(format: "interval %d: CPU legacy %.1f ms, current %.1f ms (gzip of the 2 bodies %.1f ms)", k, legacyMs.last!, currentMs.last!, gzipMs.last!))
    }
    let textBytes = current.body(.text, gzip: false).count
    print(String(format: "bodies: text %d bytes; gzip text %d bytes legacy, %d current; gzip OpenMetrics %d legacy, %d current; plain bodies identical and gzip decoding to them in every interval",
                 textBytes, legacy.body(.text, gzip: true).count, current.body(.text, gzip: true).count,
                 legacy.body(.openMetrics, gzip: true).count, current.body(.openMetrics, gzip: true).count))
    if let dir = ProcessInfo.processInfo.environment["BENCH_RENDER_DUMP"] {
        // For an outside check of the joined gzip members (gzip -t, python's gzip).
        try? Data(current.body(.openMetrics, gzip: true)).write(to: URL(fileURLWithPath: dir + "/om.gz"))
        try? Data(current.body(.openMetrics, gzip: false)).write(to: URL(fileURLWithPath: dir + "/om.txt"))
    }
    print(String(format: "CPU per interval (6 landings), median of %d: legacy %.1f ms, current %.1f ms (legacy/current %.2f); gzip of the two assembled bodies alone %.1f ms",
                 options.intervals, median(legacyMs), median(currentMs), median(legacyMs) / median(currentMs), median(gzipMs)))

    // 2. Serving while intervals land.
    func serve(_ store: some Store) -> Double {
        let flag = Flag()
        var threads: [Thread] = []
        for _ in 0..<options.readers {
            let t = Thread {
                var sink = [UInt8](repeating: 0, count: 1 << 20)
                var n = 0
                while !flag.stop.load(ordering: .relaxed) {
                    let body = store.body(.openMetrics, gzip: true)
                    // The HTTP path copies the bytes into the response (MHD_RESPMEM_MUST_COPY).
                    if sink.count < body.count { sink = [UInt8](repeating: 0, count: body.count) }
                    sink.withUnsafeMutableBytes { dst in body.withUnsafeBytes { src in dst.copyMemory(from: src) } }
                    n += 1
                }
                flag.count.add(n, ordering: .relaxed)
            }
            t.start()
            threads.append(t)
        }
        let start = ContinuousClock.now
        var k = 1
        while ContinuousClock.now - start < .seconds(options.serveSeconds) {
            let tick = ContinuousClock.now
            for (key, families) in data[k] { store.update(source: key, families: families) }
            k = k % options.intervals + 1
            let rest = .seconds(1) - (ContinuousClock.now - tick)
            if rest > .zero { Thread.sleep(forTimeInterval: Double(rest.components.attoseconds) / 1e18 + Double(rest.components.seconds)) }
        }
        let elapsed = ContinuousClock.now - start
        flag.stop.store(true, ordering: .relaxed)
        while flag.count.load(ordering: .relaxed) == 0 || threads.contains(where: { $0.isExecuting }) { Thread.sleep(forTimeInterval: 0.01) }
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(flag.count.load(ordering: .relaxed)) / secs
    }
    var legacyRate: [Double] = [], currentRate: [Double] = []
    for round in 1...5 {
        // Alternating which goes first, so a drifting machine load does not favour one.
        if round % 2 == 1 {
            legacyRate.append(serve(legacy))
            currentRate.append(serve(current))
        } else {
            currentRate.append(serve(current))
            legacyRate.append(serve(legacy))
        }
        log(String(format: "serving round %d: legacy %.0f bodies/s, current %.0f bodies/s", round, legacyRate.last!, currentRate.last!))
    }
    print(String(format: "bodies copied per second by %d readers while an interval lands every second, median of 5: legacy %.0f, current %.0f (current/legacy %.2f)",
                 options.readers, median(legacyRate), median(currentRate), median(currentRate) / median(legacyRate)))
    print("per round: legacy " + legacyRate.map { String(format: "%.0f", $0) }.joined(separator: " / ") + "; current " + currentRate.map { String(format: "%.0f", $0) }.joined(separator: " / "))
    print("per interval CPU (ms): legacy " + legacyMs.map { String(format: "%.1f", $0) }.joined(separator: " / ") + "; current " + currentMs.map { String(format: "%.1f", $0) }.joined(separator: " / "))
}

benchmark()
