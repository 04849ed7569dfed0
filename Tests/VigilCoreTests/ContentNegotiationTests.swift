import Testing
import VigilTestSupport
@testable import VigilCore

/// `ContentNegotiation` reads headers as bytes in place (it runs for every `/metrics` request).
/// These tests hold it to the string-splitting reading it replaced, kept here as the reference:
/// the same answer for real scrapers' headers and for thousands of generated ones.
@Suite("Content negotiation on bytes")
struct ContentNegotiationBytesTests {
    /// The reading `ContentNegotiation` had before: split into strings, trim, lowercase, compare.
    enum Reference {
        static func format(accept: String?) -> ExpositionFormat {
            guard let accept, !accept.isEmpty else { return .text }
            var best: (format: ExpositionFormat, q: Double)?
            for entry in accept.split(separator: ",") {
                let parts = entry.split(separator: ";").map { trim($0, " \t") }
                guard let media = parts.first?.lowercased() else { continue }
                var q = 1.0
                var version: String?
                for p in parts.dropFirst() {
                    let kv = p.split(separator: "=", maxSplits: 1).map { trim($0, " \t\"") }
                    guard kv.count == 2 else { continue }
                    switch kv[0].lowercased() {
                    case "q": q = Double(kv[1]) ?? 0
                    case "version": version = kv[1]
                    default: break
                    }
                }
                let candidate: ExpositionFormat?
                switch media {
                case "application/openmetrics-text":
                    candidate = (version == nil || version == "1.0.0" || version == "0.0.1") ? .openMetrics : nil
                case "text/plain":
                    candidate = (version == nil || version == "0.0.4" || version == "1.0.0") ? .text : nil
                case "*/*", "text/*":
                    candidate = .text
                default:
                    candidate = nil
                }
                guard let candidate, q > 0 else { continue }
                if q > (best?.q ?? 0) { best = (candidate, q) }
            }
            return best?.format ?? .text
        }

        static func acceptsGzip(_ header: String?) -> Bool {
            guard let header else { return false }
            for entry in header.split(separator: ",") {
                let parts = entry.split(separator: ";").map { trim($0, " \t").lowercased() }
                guard let coding = parts.first, coding == "gzip" || coding == "*" else { continue }
                var q = 1.0
                for p in parts.dropFirst() where p.hasPrefix("q=") {
                    q = Double(p.dropFirst(2)) ?? 0
                }
                if q > 0 { return true }
            }
            return false
        }

        static func trim(_ s: Substring, _ set: String) -> String {
            let chars = Set(set)
            var s = s
            while let f = s.first, chars.contains(f) { s = s.dropFirst() }
            while let l = s.last, chars.contains(l) { s = s.dropLast() }
            return String(s)
        }
    }

    /// Accept headers real scrapers send, and edge cases.
    static let acceptHeaders: [String?] = [
        nil, "", "*/*", "text/plain", "application/json",
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1",
        "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5",
        "Application/OpenMetrics-Text; Version=\"1.0.0\"; Q=0.8, TEXT/PLAIN; q=0.9",
        "application/openmetrics-text;version=2.0.0", "application/openmetrics-text;q=0", ";;text/plain", ",,,",
        "application/openmetrics-text;=q=0.5", "application/openmetrics-text;q==0.5", "text/*;q=1e0", "*/*;q=nan",
        "application/openmetrics-text ; version = 0.0.1 ; q = 1", "application/openmetrics-text;version=\"0.0.1\"",
    ]

    static let encodingHeaders: [String?] = [
        nil, "", "gzip", "GZIP", "deflate, gzip;q=0.5", "*", "gzip;q=0", "gzip; q=0", "gzip;Q=0", "identity",
        "gzip, deflate, br", "br;q=1, gzip;q=0.001", "gzip;q=", "gzip;q=0.0", " gzip ;q=1", ";gzip", "x-gzip",
    ]

    @Test("the header bytes choose what the string reading chose, for real scrapers' Accept headers")
    func realAcceptHeaders() {
        for header in Self.acceptHeaders {
            #expect(ContentNegotiation.format(accept: header) == Reference.format(accept: header), "\(header ?? "nil")")
        }
        let prometheus = Self.acceptHeaders[5]
        #expect(ContentNegotiation.format(accept: prometheus) == .openMetrics)
        #expect(ContentNegotiation.format(accept: "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5") == .text)
    }

    @Test("gzip is allowed exactly when the string reading allowed it")
    func realEncodingHeaders() {
        for header in Self.encodingHeaders {
            #expect(ContentNegotiation.acceptsGzip(header) == Reference.acceptsGzip(header), "\(header ?? "nil")")
        }
        #expect(ContentNegotiation.acceptsGzip("gzip"))
        #expect(!ContentNegotiation.acceptsGzip("gzip;q=0"))
    }

    /// q values are compared as `Double.init?(_:)` reads them, however they are written: equal
    /// values tie (the earlier entry wins), the larger one wins by however little.
    @Test("q values compare as Double reads them")
    func qValues() {
        let qs = ["0.3", "0.30000000000000001", "0.29999999999999999", "0.300", "00.3", ".3", "3.", "0.1", "0.10000000000000001",
                  "0.7", "0.70", "0.123456789012345", "0.1234567890123450", "0.123456789012346", "1", "1.0", "1.000",
                  "0.999999999999999", "0.9999999999999999", "0.001", "1e-3", "0.0010", "0", "0.0", "000", "5", "12345678901234567"]
        for a in qs {
            for b in qs {
                for header in ["text/plain;q=\(a),application/openmetrics-text;q=\(b)",
                               "application/openmetrics-text;q=\(a),text/plain;q=\(b)"] {
                    #expect(ContentNegotiation.format(accept: header) == Reference.format(accept: header), "\(header)")
                }
            }
            let encoding = "gzip;q=\(a)"
            #expect(ContentNegotiation.acceptsGzip(encoding) == Reference.acceptsGzip(encoding), "\(encoding)")
        }
    }

    /// Headers assembled from the pieces that matter (media types, parameter names in any case,
    /// versions, q values, blanks, quotes, stray separators), seeded so a failure replays.
    @Test("thousands of generated headers get the string reading's answer")
    func generatedHeaders() {
        let media = ["application/openmetrics-text", "Application/OpenMetrics-Text", "text/plain", "TEXT/plain", "*/*",
                     "text/*", "application/json", "", "=", "application/openmetrics-text=1"]
        let names = ["q", "Q", "version", "VERSION", "escaping", "=q", "\"q\"", "", "q=", "ver sion"]
        let values = ["1.0.0", "0.0.1", "0.0.4", "2.0.0", "0", "0.5", "1", "0.75", "1e-3", "\"1.0.0\"", "", "=0.5",
                      "nan", "inf", "-1", " 0.3 ", "abc"]
        let blanks = ["", " ", "\t", "  ", "\""]
        let seps = [",", ";", "=", ", ", " ;", ",,", ";;"]
        var rng = SplitMix64(state: 0x5EED_AC_CE_97)
        func pick(_ a: [String]) -> String { a[Int(rng.next() % UInt64(a.count))] }
        for _ in 0..<4000 {
            var header = ""
            let entries = Int(rng.next() % 5)
            for e in 0...entries {
                if e > 0 { header += rng.next() % 8 == 0 ? pick(seps) : "," }
                header += pick(blanks) + pick(media) + pick(blanks)
                for _ in 0..<Int(rng.next() % 4) {
                    header += (rng.next() % 10 == 0 ? pick(seps) : ";") + pick(blanks) + pick(names) + pick(blanks)
                    header += (rng.next() % 10 == 0 ? pick(seps) : "=") + pick(blanks) + pick(values) + pick(blanks)
                }
            }
            #expect(ContentNegotiation.format(accept: header) == Reference.format(accept: header), "\(header)")
            let encoding = (0...Int(rng.next() % 3)).map { _ in
                pick(blanks) + pick(["gzip", "GZip", "*", "deflate", "identity", "", "br"]) + pick(blanks)
                    + (rng.next() % 2 == 0 ? "" : ";" + pick(blanks) + pick(["q=", "Q=", "q =", "x="]) + pick(values))
            }.joined(separator: rng.next() % 6 == 0 ? pick(seps) : ",")
            #expect(ContentNegotiation.acceptsGzip(encoding) == Reference.acceptsGzip(encoding), "\(encoding)")
        }
    }
}
