import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import AppCollector

/// Seeded, bounded mutation runs over what scraped applications and S3 answer: the text and
/// OpenMetrics bodies of the official Python client (`Fixtures/scrape/`, prometheus_client 0.26)
/// through `ExpositionScanner`, and ListObjectsV2 pages and error documents (`Fixtures/s3/`, in
/// the shape AWS documents them) through `S3ListParser`. Properties: no crash, no slow case, a
/// refusal is a thrown value with its reason, and what is accepted is well formed (valid names,
/// each series once, non-negative sizes, finite times). No finding yet (5,000 cases each with
/// another seed found none either); a finding would become a file replayed by a test here.
@Suite("Scrape body and S3 answer fuzz")
struct ScrapeAndS3FuzzTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let scrapeSeeds = Fuzzing.files(in: fixtures.appendingPathComponent("scrape"))
    static let s3Seeds = Fuzzing.files(in: fixtures.appendingPathComponent("s3"))

    static let scrapeDictionary: [[UInt8]] = [
        "{", "}", "=", "\"", ",", " ", "\t", "\n", "\r\n", "\\", "\\n", "\\\"", "#", "# TYPE x counter\n", "# HELP ", "# EOF\n",
        "# UNIT ", "_total", "_bucket", "_created", "le=\"", "quantile=\"", "+Inf", "-Inf", "NaN", "1e308", "1e309", "-0",
        " # {trace_id=\"a\"} 1 1\n", " 1700000000", "x{a=\"1\"} 1\n", "\u{0}", "\u{1F600}",
    ].map { Array($0.utf8) }

    static let s3Dictionary: [[UInt8]] = [
        "<", ">", "/", "</", "/>", "&", "&amp;", "&#", "&#x", ";", "&#0;", "&#x110000;", "&bogus;", "<?", "?>", "<!--", "-->",
        "<!DOCTYPE", "<![CDATA[", "\"", "'", "<Contents>", "</Contents>", "<Key>", "</Key>", "<Size>", "</Size>", "-1",
        "<LastModified>", "</LastModified>", "<IsTruncated>true</IsTruncated>", "<NextContinuationToken>", "<a>", "</a>",
    ].map { Array($0.utf8) }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names, without the colons for label names.
    static func isName(_ s: String, colons: Bool) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, !(first >= 48 && first <= 57) else { return false }
        return bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 || (colons && $0 == 58) }
    }

    static func scrapeProblems(_ bytes: [UInt8]) -> [String] {
        var out: [String] = []
        for format in [ScrapeFormat.text, .openMetrics] {
            let body: ScrapedBody
            do {
                body = try ExpositionScanner.parse(bytes, format: format)
            } catch {
                if error.message.isEmpty || error.line < 0 { out.append("\(format) refusal without a message or line: \(error)") }
                continue
            }
            var seen = Set<String>()
            for s in body.series {
                if !isName(s.name, colons: true) { out.append("\(format): series name \(s.name.debugDescription)") }
                if !body.families.indices.contains(s.family) { out.append("\(format): family index \(s.family) out of range") }
                if let bad = s.labels.first(where: { !isName($0.name, colons: false) }) {
                    out.append("\(format): label name \(bad.name.debugDescription)")
                }
                let key = s.name + "\u{0}" + s.labels.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: "\u{0}")
                if !seen.insert(key).inserted { out.append("\(format): series \(s.name) twice") }
            }
        }
        return out
    }

    static func s3Problems(_ bytes: [UInt8]) -> [String] {
        _ = S3ListParser.errorCode(bytes)
        guard let page = try? S3ListParser.parsePage(bytes) else { return [] }
        var out: [String] = []
        for e in page.entries {
            if e.name.isEmpty { out.append("an entry without a name") }
            if !(e.size.isFinite && e.size >= 0) { out.append("size \(e.size)") }
            if !e.modified.isFinite { out.append("modified \(e.modified)") }
        }
        if page.truncated && (page.nextToken ?? "").isEmpty { out.append("truncated without a continuation token") }
        return out
    }

    @Test("the recorded bodies and answers parse as they are")
    func seeds() throws {
        #expect(Self.scrapeSeeds.count == 2 && Self.s3Seeds.count == 2)
        let text = try ExpositionScanner.parse(try #require(Self.scrapeSeeds.first { $0.name.hasSuffix(".txt") }).bytes, format: .text)
        #expect(text.series.contains { $0.name == "latency_seconds_bucket" })
        let om = try ExpositionScanner.parse(try #require(Self.scrapeSeeds.first { $0.name.hasSuffix(".openmetrics") }).bytes, format: .openMetrics)
        #expect(om.series.contains { $0.name == "http_requests_total" })
        let page = try S3ListParser.parsePage(try #require(Self.s3Seeds.first { $0.name.contains("list-objects") }).bytes)
        #expect(page.entries.count == 3 && page.truncated && page.entries.last?.name == "pg/a&b \u{e9}\u{4e2d}.gz")
        #expect(S3ListParser.errorCode(try #require(Self.s3Seeds.first { $0.name.contains("error") }).bytes) == "SignatureDoesNotMatch")
        for (name, bytes) in Self.scrapeSeeds { #expect(Self.scrapeProblems(bytes).isEmpty, "\(name)") }
        for (name, bytes) in Self.s3Seeds { #expect(Self.s3Problems(bytes).isEmpty, "\(name)") }
    }

    @Test("mutated scrape bodies are parsed or refused with their reason, never crash or hang")
    func scrapeMutations() {
        Fuzzing.mutationRun("Scrape body", seeds: Self.scrapeSeeds, dictionary: Self.scrapeDictionary, seed: 0x5EED_0000_5C4A,
                            cases: 600, slowerThan: .seconds(2), Self.scrapeProblems)
    }

    @Test("mutated S3 answers give a listing or an error, never crash or hang")
    func s3Mutations() {
        Fuzzing.mutationRun("S3 answer", seeds: Self.s3Seeds, dictionary: Self.s3Dictionary, seed: 0x5EED_0000_0053,
                            cases: 400, slowerThan: .seconds(2), Self.s3Problems)
    }
}
