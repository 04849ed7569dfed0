import Foundation
public import Logging
import HTTPClient
import Synchronization
public import VigilCore

/// Scrapes one target of a job on the target's thread with `HTTPClient.perform`, bounded by
/// the cycle's deadline, and turns the body into families (`ScrapeExposition`,
/// `ScrapePipeline`). Every attempt also yields the meta series Prometheus reports
/// (`vigil_scrape_*` on `/metrics`; `up`, `scrape_duration_seconds`, … inside rules) and a
/// failure counter by reason. A failure publishes only those: the target's series go away.
public final class ScrapeCollector: Collector {
    public let kind = "scrape"
    public let upMetric: String? = "vigil_scrape_up"
    public let options: ScrapeOptions
    private let version: String
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var failures: [String: Double] = [:]
        var previous: Set<Int> = []
    }

    /// `/metrics` name → the name rules use, as Prometheus names a target's report series.
    public static let metaNames: [String: String] = [
        "vigil_scrape_up": "up",
        "vigil_scrape_duration_seconds": "scrape_duration_seconds",
        "vigil_scrape_samples_scraped": "scrape_samples_scraped",
        "vigil_scrape_samples_post_metric_relabeling": "scrape_samples_post_metric_relabeling",
        "vigil_scrape_series_added": "scrape_series_added",
    ]
    public var ruleNames: [String: String] { Self.metaNames }

    /// Seconds of the cycle's timeout kept back from the HTTP request, so that a target that
    /// hangs fails inside the cycle (with its reason and duration) rather than at the
    /// scheduler's watchdog (which can only say "down").
    static func margin(timeout: Double) -> Double { min(0.25, timeout * 0.1) }

    public init(options: ScrapeOptions, version: String = "", logger: Logger) {
        self.options = options
        self.version = version
        self.logger = logger
    }

    public func collect(_ context: CollectContext) throws -> [MetricFamily] {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = context.deadline - .milliseconds(Int64(Self.margin(timeout: options.timeout) * 1000))
        do {
            let response = try fetch(deadline: deadline)
            let body: ScrapedBody
            do {
                body = try ExpositionScanner.parse(response.body, format: ScrapeFormat(contentType: response.header("content-type")))
            } catch {
                throw Failure(reason: error.reason.rawValue, message: error.description)
            }
            let out: ScrapePipeline.Output
            do {
                out = try ScrapePipeline.process(body, targetLabels: options.targetLabels, honorLabels: options.honorLabels,
                                                 relabel: options.metricRelabel, sampleLimit: options.sampleLimit,
                                                 labelLimit: options.labelLimit)
            } catch {
                throw Failure(reason: error.reason.rawValue, message: error.message)
            }
            let added = state.withLock { s -> Int in
                let added = out.seriesHashes.subtracting(s.previous).count
                s.previous = out.seriesHashes
                return added
            }
            return out.families + meta(duration: (clock.now - start).seconds, scraped: out.scraped, kept: out.kept, added: added)
        } catch let failure as Failure {
            state.withLock {
                $0.failures[failure.reason, default: 0] += 1
                $0.previous = []
            }
            let families = meta(duration: (clock.now - start).seconds, scraped: 0, kept: 0, added: 0)
            throw CollectionFailure("scrape failed (\(failure.reason)): \(failure.message)", families: families)
        }
    }

    private struct Failure: Error {
        let reason: String
        let message: String
    }

    private func fetch(deadline: ContinuousClock.Instant) throws(Failure) -> HTTPClientResponse {
        var headers = [
            HTTPClientHeader("Accept", ScrapeFormat.acceptHeader),
            HTTPClientHeader("User-Agent", version.isEmpty ? "vigil" : "vigil/\(version)"),
            HTTPClientHeader("X-Prometheus-Scrape-Timeout-Seconds", PromFloat.goShortest(options.timeout)),
        ]
        if let b = options.basicAuth {
            headers.append(HTTPClientHeader("Authorization", "Basic " + Data("\(b.username):\(b.password)".utf8).base64EncodedString()))
        } else if let a = options.authorization {
            headers.append(HTTPClientHeader("Authorization", "\(a.type) \(a.credentials)"))
        }
        let request = HTTPClientRequest(url: options.url, headers: headers, timeout: options.timeout, tls: options.tls ?? TLSOptions(),
                                        proxyURL: options.proxyURL, maxResponseBytes: options.bodySizeLimit, acceptEncoding: "gzip")
        let response: HTTPClientResponse
        do {
            response = try HTTPClient.perform(request, deadline: deadline)
        } catch {
            let reason = error.kind == .tooLarge ? "body_size_limit" : error.kind.rawValue
            let message = error.kind == .tooLarge ? "the body exceeds body_size_limit (\(options.bodySizeLimit) bytes)" : error.message
            throw Failure(reason: reason, message: message)
        }
        guard (200..<300).contains(response.status) else {
            throw Failure(reason: "http_status", message: "server returned HTTP status \(response.status)")
        }
        return response
    }

    private func meta(duration: Double, scraped: Int, kept: Int, added: Int) -> [MetricFamily] {
        let failures = state.withLock { $0.failures }
        var out: [MetricFamily] = [
            .gauge("vigil_scrape_duration_seconds", "Duration of the scrape (Prometheus' scrape_duration_seconds).", value: duration),
            .gauge("vigil_scrape_samples_scraped", "Samples the target exposed (Prometheus' scrape_samples_scraped).", value: Double(scraped)),
            .gauge("vigil_scrape_samples_post_metric_relabeling",
                   "Samples left after metric relabeling (Prometheus' scrape_samples_post_metric_relabeling).", value: Double(kept)),
            .gauge("vigil_scrape_series_added", "Series not present in the previous scrape (Prometheus' scrape_series_added).",
                   value: Double(added)),
        ]
        if !failures.isEmpty {
            out.append(.counter("vigil_scrape_failures_total", "Failed scrapes of a target, by reason.",
                                failures.keys.sorted().map { Sample(["reason": $0], failures[$0] ?? 0) }))
        }
        return out
    }
}
