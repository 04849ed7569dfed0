// vigil-bench-rules: Vigil's rule engine over the series and rules of scripts/bench-rules.
//
//   VigilBenchRules SERIES.prom RULES.yml [--cycles N] [--interval S] [--steady-from K] [--out FILE] [--ingest-ab]
//
// --ingest-ab: no evaluation; each collection is appended into the history as it was before
// series were interned (LegacySeriesHistory) and into SeriesHistory, timed by thread CPU.
//
// Parses SERIES.prom with VigilCore's ExpositionParser, then for cycles 0..<N: appends every
// series into a SeriesHistory at t0 + k·interval (counters advanced by the law of
// scripts/lib/bench-rules-gen.py: v0 · (1 + s/1e6)), and evaluates every group of RULES.yml
// with RuleEngine at t0 + k·interval + interval/2 (between two collections, as Prometheus'
// evaluations fall between its scrapes). Writes one JSON object (timings per cycle, memory,
// the firing alerts after the last cycle) to --out or stdout. Progress goes to stderr.
import Foundation
import Rules
import VigilCore

let benchmark = BenchRules()
do {
    try benchmark.run(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("vigil-bench-rules: \(error)\n".utf8))
    exit(1)
}
