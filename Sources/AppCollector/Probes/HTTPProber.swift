import Foundation
import HTTPClient
import Rules
import VigilCore

/// blackbox_exporter's HTTP prober over HTTPClient: one request (following redirects unless
/// told not to), then the status, version, header, body and TLS checks in blackbox's order.
struct HTTPProber {
    let options: ProbeOptions
    let userAgent: String

    func run(deadline: ContinuousClock.Instant) -> ProbeCollector.Outcome {
        let h = options.http
        var out = ProbeCollector.Outcome()
        var tls = h.tls
        var headers = h.headers
        if !headers.contains(where: { $0.name.lowercased() == "user-agent" }) {
            headers.append(HTTPClientHeader("User-Agent", userAgent))
        }
        // As blackbox: without server_name, a Host header names the certificate to expect.
        if tls.serverName == nil, let host = headers.first(where: { $0.name.lowercased() == "host" })?.value {
            tls.serverName = String(host.split(separator: ":").first ?? Substring(host))
        }
        let request = HTTPClientRequest(
            method: h.method, url: options.target, headers: headers, body: Array(h.body.utf8),
            timeout: max(0.001, (deadline - ContinuousClock.now).seconds), tls: tls, proxyURL: h.proxyURL,
            maxResponseBytes: h.bodySizeLimit, followRedirects: h.followRedirects, acceptEncoding: nil,
            ipResolve: h.ipProtocol.resolve)
        let host = URLComponents(string: options.target)?.host ?? ""

        var regexFailed = false
        let response: HTTPClientResponse
        do {
            response = try HTTPClient.perform(request, deadline: deadline)
        } catch {
            ProbeCollector.addressFamilies(&out.families, ip: nil, host: host, lookup: 0)
            emit(&out.families, nil, regexFailed: false)
            out.fail(error.kind.rawValue, error.message)
            return out
        }
        ProbeCollector.addressFamilies(&out.families, ip: response.primaryIP, host: host, lookup: response.timings.resolve)

        if h.validStatusCodes.isEmpty {
            if !(200..<300).contains(response.status) { out.fail("status_code", "status \(response.status), wanted 2xx") }
        } else if !h.validStatusCodes.contains(response.status) {
            out.fail("status_code", "status \(response.status) is not in valid_status_codes")
        }
        if out.failure == nil, !(h.failIfHeaderMatches.isEmpty && h.failIfHeaderNotMatches.isEmpty) {
            if let problem = headerProblem(response) {
                regexFailed = true
                out.fail("regex", problem)
            }
        }
        if out.failure == nil, !(h.failIfBodyMatches.isEmpty && h.failIfBodyNotMatches.isEmpty) {
            if let m = h.failIfBodyMatches.first(where: { $0.matches(response.body) }) {
                regexFailed = true
                out.fail("regex", "body matched \(m.pattern)")
            } else if let m = h.failIfBodyNotMatches.first(where: { !$0.matches(response.body) }) {
                regexFailed = true
                out.fail("regex", "body did not match \(m.pattern)")
            }
        }
        let version = Self.goProto(response.httpVersion)
        if !h.validHTTPVersions.isEmpty, !h.validHTTPVersions.contains(version) {
            out.fail("http_version", "\(version) is not in valid_http_versions")
        }
        if response.tls != nil, h.failIfSSL { out.fail("ssl", "the final request was over TLS (fail_if_ssl)") }
        if response.tls == nil, h.failIfNotSSL { out.fail("ssl", "the final request was not over TLS (fail_if_not_ssl)") }
        emit(&out.families, response, regexFailed: regexFailed)
        return out
    }

    /// The `probe_http_*` families (zeros without a response, as blackbox's empty response).
    private func emit(_ b: inout FamilyBuilder, _ r: HTTPClientResponse?, regexFailed: Bool) {
        let t = r?.timings ?? PhaseTimings()
        let phase = "probe_http_duration_seconds"
        let phaseHelp = "Duration of http request by phase, summed over all redirects"
        b.gauge(phase, t.resolve, ["phase": "resolve"], help: phaseHelp)
        b.gauge(phase, t.connect, ["phase": "connect"], help: phaseHelp)
        b.gauge(phase, t.tls, ["phase": "tls"], help: phaseHelp)
        b.gauge(phase, t.processing, ["phase": "processing"], help: phaseHelp)
        b.gauge(phase, t.transfer, ["phase": "transfer"], help: phaseHelp)
        b.gauge("probe_http_content_length", r.map { Double($0.contentLength ?? -1) } ?? 0, help: "Length of http content response")
        b.gauge("probe_http_uncompressed_body_length", Double(r?.body.count ?? 0), help: "Length of uncompressed response body")
        b.gauge("probe_http_redirects", Double(r.map(redirects) ?? 0), help: "The number of redirects")
        b.gauge("probe_http_ssl", r?.tls == nil ? 0 : 1, help: "Indicates if SSL was used for the final redirect")
        b.gauge("probe_http_status_code", Double(r?.status ?? 0), help: "Response HTTP status code")
        b.gauge("probe_http_version", r.map { Self.versionNumber($0.httpVersion) } ?? 0, help: "Returns the version of HTTP of the probe response")
        b.gauge("probe_failed_due_to_regex", regexFailed ? 1 : 0, help: "Indicates if probe failed due to regex")
        if let lm = r?.header("last-modified"), let date = Self.httpDate(lm) {
            b.gauge("probe_http_last_modified_timestamp_seconds", date.timeIntervalSince1970.rounded(.down),
                    help: "Returns the Last-Modified HTTP response header in unixtime")
        }
        if let tls = r?.tls { ProbeCollector.tlsFamilies(&b, tls) }
    }

    /// Redirects as blackbox counts them: one more when a redirect was answered but not followed.
    private func redirects(_ r: HTTPClientResponse) -> Int {
        if !options.http.followRedirects, (300..<400).contains(r.status), r.header("location") != nil { return 1 }
        return r.redirects
    }

    private func headerProblem(_ r: HTTPClientResponse) -> String? {
        for m in options.http.failIfHeaderMatches {
            guard let value = r.header(m.header) else {
                if m.allowMissing { continue }
                return "missing header \(m.header)"
            }
            if m.regexp.matches(value) { return "header \(m.header) matched \(m.regexp.pattern)" }
        }
        for m in options.http.failIfHeaderNotMatches {
            guard let value = r.header(m.header) else {
                if m.allowMissing { continue }
                return "missing header \(m.header)"
            }
            if !m.regexp.matches(value) { return "header \(m.header) did not match \(m.regexp.pattern)" }
        }
        return nil
    }

    /// Go's `resp.Proto` for libcurl's version names.
    static func goProto(_ v: String) -> String {
        switch v {
        case "HTTP/2": "HTTP/2.0"
        case "HTTP/3": "HTTP/3.0"
        default: v
        }
    }

    static func versionNumber(_ v: String) -> Double {
        Double(goProto(v).dropFirst("HTTP/".count)) ?? 0
    }

    static func httpDate(_ s: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            f.dateFormat = format
            if let d = f.date(from: s) { return d }
        }
        return nil
    }
}
