import AppCollector
import Foundation
import Logging
import Testing
import VigilCore
import VigilTestSupport

/// The collector against real processes: an app on the official Python client, and hostile
/// endpoints of the same test server.
@Suite(.serialized) struct ScrapeCollectorTests {
    func collector(_ app: ScrapeTestApp?, path: String = "/metrics", address: String? = nil, timeout: Double = 2,
                   bodySizeLimit: Int = ScrapeOptions.defaultBodySizeLimit) -> ScrapeCollector {
        let options = ScrapeOptions(jobName: "api", address: address ?? app?.address ?? "127.0.0.1:1", metricsPath: path,
                                    staticLabels: [Label("env", "test")], interval: 5, timeout: timeout, bodySizeLimit: bodySizeLimit)
        return ScrapeCollector(options: options, version: "test", logger: Logger(label: "test"))
    }

    func context(_ seconds: Double) -> CollectContext { CollectContext(startedAt: Date(), deadline: .after(seconds: seconds)) }

    func family(_ families: [MetricFamily], _ name: String) -> MetricFamily? { families.first { $0.name == name } }

    @Test("an app on prometheus_client: counters with _created, gauges, histograms, summaries, info; target labels on every series")
    func scrapesTheApp() throws {
        guard let app = try ScrapeTestApp.start() else { return }
        let c = collector(app)
        let families = try c.collect(context(2))
        #expect(family(families, "app_requests_total")?.type == .counter)
        #expect(family(families, "app_requests_total")?.samples.contains { $0.labels["method"] == "POST" && $0.labels["code"] == "500" && $0.value == 2 } == true)
        #expect(family(families, "app_requests_created")?.type == .gauge)
        #expect(family(families, "active_users")?.samples.first?.value == 17)
        let h = try #require(family(families, "api_request_duration_seconds"))
        #expect(h.type == .histogram)
        #expect(h.samples.contains { $0.suffix == "_bucket" && $0.labels["le"] == "1.0" && $0.labels["route"] == "/api/items" && $0.value == 4 })
        #expect(h.samples.contains { $0.suffix == "_created" })
        #expect(family(families, "app_payload_bytes")?.samples.contains { $0.suffix == "_sum" && $0.value == 2560 } == true)
        #expect(family(families, "app_build_info")?.samples.first?.labels["version"] == "1.2.3")
        for f in families where !f.name.hasPrefix("vigil_scrape") {
            for s in f.samples {
                #expect(s.labels["job"] == "api" && s.labels["instance"] == app.address && s.labels["env"] == "test", "\(f.name)")
            }
        }
        let scraped = try #require(family(families, "vigil_scrape_samples_scraped")?.samples.first?.value)
        #expect(scraped > 20)
        #expect(family(families, "vigil_scrape_series_added")?.samples.first?.value == scraped)
        #expect(family(families, "vigil_scrape_samples_post_metric_relabeling")?.samples.first?.value == scraped)
        let second = try c.collect(context(2))
        #expect(family(second, "vigil_scrape_series_added")?.samples.first?.value == 0)

        // What the app was sent: OpenMetrics preferred, gzip, the timeout header.
        let headers = try HTTPTestClient.request(port: app.port, path: "/last-request").text
        #expect(headers.contains("application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6"))
        #expect(headers.contains("\"accept-encoding\": \"gzip\""))
        #expect(headers.contains("\"x-prometheus-scrape-timeout-seconds\": \"2\""))
    }

    @Test("hostile targets fail the scrape with their reason, counted; the duration is still reported", arguments: [
        ("/hang", "timeout"), ("/garbage", "parse_error"), ("/huge", "body_size_limit"), ("/duplicate", "duplicate_series"),
        ("/invalid-utf8", "invalid_utf8"), ("/no-eof", "parse_error"), ("/status500", "http_status"),
    ])
    func hostile(_ path: String, _ reason: String) throws {
        guard let app = try ScrapeTestApp.start() else { return }
        let c = collector(app, path: path, timeout: 1.5, bodySizeLimit: 1 << 20)
        let started = ContinuousClock.now
        do {
            _ = try c.collect(context(1.5))
            Issue.record("\(path) was accepted")
        } catch let failure as CollectionFailure {
            #expect(failure.message.contains("(\(reason))"), "\(failure.message)")
            let counter = family(failure.families, "vigil_scrape_failures_total")
            #expect(counter?.samples == [Sample(["reason": reason], 1)])
            #expect(family(failure.families, "vigil_scrape_samples_scraped")?.samples.first?.value == 0)
            #expect(family(failure.families, "vigil_scrape_duration_seconds") != nil)
        }
        // Inside the cycle's deadline, before the scheduler's watchdog would fire.
        #expect(ContinuousClock.now - started < .milliseconds(1500))
        // The healthy endpoint of the same server is unaffected.
        #expect(try collector(app).collect(context(2)).contains { $0.name == "active_users" })
    }

    @Test("a closed port is a connect failure")
    func closedPort() throws {
        let port = try SilentListener.freePort()
        let c = collector(nil, address: "127.0.0.1:\(port)")
        do {
            _ = try c.collect(context(2))
            Issue.record("a closed port was scraped")
        } catch let failure as CollectionFailure {
            #expect(failure.message.contains("(connect)"), "\(failure.message)")
        }
    }
}
