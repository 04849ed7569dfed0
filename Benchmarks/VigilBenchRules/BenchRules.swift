import Foundation
import Rules
import VigilCore

/// The benchmark run: options, the simulated collection/evaluation loop and its report.
struct BenchRules {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A counter's value at time 0 divided by its rate per second (scripts/lib/bench-rules-gen.py).
    static let growth = 1e6

    struct Options {
        var series = ""
        var rules = ""
        var cycles = 30
        var intervalSeconds = 15
        var steadyFrom = 21
        var out: String?
        /// Ingest only, the old (`LegacySeriesHistory`) and the new `SeriesHistory` side by side.
        var ingestAB = false

        init(arguments: [String]) throws(Failure) {
            var positional: [String] = []
            var i = 0
            func value(_ flag: String) throws(Failure) -> String {
                i += 1
                guard i < arguments.count else { throw Failure(description: "\(flag) needs a value") }
                return arguments[i]
            }
            func number(_ flag: String) throws(Failure) -> Int {
                let text = try value(flag)
                guard let n = Int(text), n > 0 else { throw Failure(description: "\(flag): not a positive integer: \(text)") }
                return n
            }
            while i < arguments.count {
                switch arguments[i] {
                case "--cycles": cycles = try number("--cycles")
                case "--interval": intervalSeconds = try number("--interval")
                case "--steady-from": steadyFrom = try number("--steady-from")
                case "--out": out = try value("--out")
                case "--ingest-ab": ingestAB = true
                case let a where a.hasPrefix("--"): throw Failure(description: "unknown option \(a)")
                case let a: positional.append(a)
                }
                i += 1
            }
            guard positional.count == 2 else {
                throw Failure(description: "usage: VigilBenchRules SERIES.prom RULES.yml [--cycles N] [--interval S] [--steady-from K] [--out FILE] [--ingest-ab]")
            }
            guard steadyFrom < cycles else { throw Failure(description: "--steady-from must be below --cycles") }
            series = positional[0]
            rules = positional[1]
        }
    }

    func run(arguments: [String]) throws {
        let options = try Options(arguments: arguments)
        let rssStart = ProcessMemory.current()

        guard let data = FileManager.default.contents(atPath: options.series),
              let text = String(data: data, encoding: .utf8) else {
            throw Failure(description: "cannot read \(options.series)")
        }
        let parseStart = ContinuousClock.now
        let parsed = try ExpositionParser.parse(text)
        let parseTime = ContinuousClock.now - parseStart
        let base = parsed.map(Self.family)
        let counters = Set(base.filter { $0.type == .counter }.map(\.name))

        let file = try RuleFile.load(path: options.rules)
        let groups = file.groups
        let interval = Int64(options.intervalSeconds) * 1000
        var history = SeriesHistory(retention: RuleChecker.retentionNeeded(groups))
        var engine = RuleEngine(evaluationInterval: interval)
        log("parsed \(base.reduce(0) { $0 + $1.samples.count }) samples in \(Self.ms(parseTime)) ms; " +
            "\(groups.count) groups, \(groups.reduce(0) { $0 + $1.rules.count }) rules; retention \(history.retention / 1000) s")
        let rssParsed = ProcessMemory.current()

        // A round start so the evaluation timestamps read well; the law only needs the offset.
        let t0 = (Int64(Date().timeIntervalSince1970) / 60) * 60_000
        if options.ingestAB {
            try ingestAB(options: options, base: base, counters: counters, retention: history.retention, t0: t0, interval: interval)
            return
        }
        var ingestMs: [Double] = []
        var ingestCPUMs: [Double] = []
        var evalMs: [Double] = []
        var failures = 0
        for k in 0..<options.cycles {
            let collectedAt = t0 + Int64(k) * interval
            let factor = 1 + Double(collectedAt - t0) / 1000 / Self.growth
            let families = base.map { f -> MetricFamily in
                guard counters.contains(f.name) else { return f }
                var g = f
                for i in g.samples.indices { g.samples[i].value *= factor }
                return g
            }
            let ingestStart = ContinuousClock.now
            let ingestCPUStart = Self.threadCPUms()
            history.append(families: families, at: Date(timeIntervalSince1970: Double(collectedAt) / 1000), source: "bench")
            ingestCPUMs.append(Self.threadCPUms() - ingestCPUStart)
            ingestMs.append(Self.ms(ContinuousClock.now - ingestStart))

            let evaluatedAt = collectedAt + interval / 2
            let evalStart = ContinuousClock.now
            for group in groups {
                let result = engine.evaluate(group, at: evaluatedAt, history: &history)
                failures += result.failures
            }
            evalMs.append(Self.ms(ContinuousClock.now - evalStart))
            log(String(format: "cycle %2d: ingest %7.1f ms, evaluation %7.1f ms, %d series, %d samples", k, ingestMs[k], evalMs[k],
                       history.seriesCount, history.sampleCount))
        }
        if failures > 0 {
            for group in groups {
                for r in engine.evaluate(group, at: t0 + Int64(options.cycles) * interval + interval / 2, history: &history).rules {
                    if let e = r.error { log("rule \(r.rule): \(e.message)") }
                }
            }
        }

        var firing: [[String: String]] = []
        var pending = 0
        for state in engine.states.values {
            for alert in state.alerts {
                switch alert.state {
                case .firing:
                    var labels: [String: String] = [:]
                    for l in alert.labels.labels where l.name != "__name__" { labels[l.name] = l.value }
                    firing.append(labels)
                case .pending: pending += 1
                case .inactive: break
                }
            }
        }
        let rssEnd = ProcessMemory.current()
        let report: [String: Any] = [
            "cycles": options.cycles,
            "steady_from": options.steadyFrom,
            "interval_seconds": options.intervalSeconds,
            "parse_ms": Self.ms(parseTime),
            "ingest_ms": ingestMs,
            "ingest_cpu_ms": ingestCPUMs,
            "eval_ms": evalMs,
            "rule_failures": failures,
            "history_bytes": history.memoryBytes,
            "history_series": history.seriesCount,
            "history_samples": history.sampleCount,
            "retention_seconds": history.retention / 1000,
            "rss_start_bytes": rssStart.rss,
            "rss_parsed_bytes": rssParsed.rss,
            "rss_end_bytes": rssEnd.rss,
            "rss_peak_bytes": rssEnd.peak,
            "firing": firing,
            "pending": pending,
        ]
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        if let out = options.out {
            guard FileManager.default.createFile(atPath: out, contents: json) else { throw Failure(description: "cannot write \(out)") }
        } else {
            FileHandle.standardOutput.write(json)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }

    /// A parsed family as a MetricFamily (suffixes of histogram and summary samples kept).
    static func family(_ p: ExpositionParser.ParsedFamily) -> MetricFamily {
        let samples = p.samples.map { s -> Sample in
            let suffix = s.name.hasPrefix(p.name) ? String(s.name.dropFirst(p.name.count)) : ""
            let labels = Labels(s.labels.sorted { $0.key < $1.key }.map { Label($0.key, $0.value) })
            return Sample(labels, s.value, suffix: suffix)
        }
        return MetricFamily(name: p.name, help: p.help ?? "", type: MetricType(rawValue: p.type) ?? .untyped, samples: samples)
    }

    /// `--ingest-ab`: every cycle's collection appended into the old and the new history (the
    /// order alternating), each timed by its thread's CPU; no evaluation. Prints the medians
    /// over cycles `steadyFrom..<cycles` and checks both hold the same series and samples.
    func ingestAB(options: Options, base: [MetricFamily], counters: Set<String>, retention: Int64, t0: Int64, interval: Int64) throws {
        var legacy = LegacySeriesHistory(retention: retention)
        var current = SeriesHistory(retention: retention)
        var legacyMs: [Double] = [], currentMs: [Double] = []
        for k in 0..<options.cycles {
            let collectedAt = t0 + Int64(k) * interval
            let factor = 1 + Double(collectedAt - t0) / 1000 / Self.growth
            // Fresh strings every cycle, as a parser produces them: the new ingest's same-position
            // check then compares bytes, not string storage identity.
            let families = base.map { f -> MetricFamily in
                var g = f
                let scale = counters.contains(f.name) ? factor : 1
                for i in g.samples.indices {
                    g.samples[i].value *= scale
                    g.samples[i].labels = Labels(g.samples[i].labels.pairs.map { Label(Self.fresh($0.name), Self.fresh($0.value)) })
                }
                g.name = Self.fresh(f.name)
                return g
            }
            let at = Date(timeIntervalSince1970: Double(collectedAt) / 1000)
            func timeLegacy() { let c = Self.threadCPUms(); legacy.append(families: families, at: at, source: "bench"); legacyMs.append(Self.threadCPUms() - c) }
            func timeCurrent() { let c = Self.threadCPUms(); current.append(families: families, at: at, source: "bench"); currentMs.append(Self.threadCPUms() - c) }
            if k % 2 == 0 { timeLegacy(); timeCurrent() } else { timeCurrent(); timeLegacy() }
            guard legacy.seriesCount == current.seriesCount, legacy.sampleCount == current.sampleCount else {
                throw Failure(description: "cycle \(k): old history \(legacy.seriesCount) series / \(legacy.sampleCount) samples, new \(current.seriesCount) / \(current.sampleCount)")
            }
            log(String(format: "cycle %2d: ingest CPU old %7.1f ms, new %7.1f ms, %d series, %d samples", k, legacyMs[k], currentMs[k],
                       current.seriesCount, current.sampleCount))
        }
        func median(_ xs: ArraySlice<Double>) -> Double {
            let s = xs.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let old = median(legacyMs[options.steadyFrom...]), new = median(currentMs[options.steadyFrom...])
        let report: [String: Any] = [
            "cycles": options.cycles, "steady_from": options.steadyFrom,
            "ingest_cpu_ms_old": legacyMs, "ingest_cpu_ms_new": currentMs,
            "median_old_ms": old, "median_new_ms": new,
            "series": current.seriesCount, "samples": current.sampleCount,
        ]
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        if let out = options.out { try json.write(to: URL(fileURLWithPath: out)) } else { print(String(decoding: json, as: UTF8.self)) }
        log(String(format: "ingest of one collection, CPU median over cycles %d-%d: old %.1f ms, new %.1f ms (old/new %.1f)",
                   options.steadyFrom, options.cycles - 1, old, new, old / new))
    }

    /// A copy of `s` in storage of its own.
    static func fresh(_ s: String) -> String { String(decoding: Array(s.utf8), as: UTF8.self) }

    /// CPU time of the calling thread, in milliseconds (what one core spent, whatever else runs).
    static func threadCPUms() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }

    static func ms(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) * 1000 + Double(atto) / 1e15
    }

    func log(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
