import HTTPClient
import Rules
import VigilCore

/// blackbox_exporter's TCP prober: connect (TLS on top with `tls: true`), then the
/// `query_response` steps, each waiting for a line that matches `expect` and sending `send`.
/// The connection goes through HTTPClient's connect-only stream, so TCP+TLS uses the same
/// libcurl/OpenSSL stack, `tls_config` and certificate checks as the HTTP prober.
struct TCPProber {
    let options: ProbeOptions

    /// `host:port` or `[v6]:port`, nil when it is neither.
    static func split(_ target: String) -> (host: String, port: Int)? {
        var host: Substring
        var portText: Substring
        if target.hasPrefix("[") {
            guard let close = target.firstIndex(of: "]"), target[target.index(after: close)...].hasPrefix(":") else { return nil }
            host = target[target.index(after: target.startIndex)..<close]
            portText = target[target.index(close, offsetBy: 2)...]
        } else {
            guard let colon = target.lastIndex(of: ":"), !target[..<colon].contains(":") else { return nil }
            host = target[..<colon]
            portText = target[target.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    func run(deadline: ContinuousClock.Instant) -> ProbeCollector.Outcome {
        let t = options.tcp
        var out = ProbeCollector.Outcome()
        guard let (host, port) = Self.split(options.target) else {
            out.fail("invalid_target", "not host:port")
            return out
        }
        let stream: TCPStream
        do {
            stream = try HTTPClient.connect(host: host, port: port, tls: t.tls ? t.tlsConfig : nil,
                                            ipResolve: t.ipProtocol.resolve, deadline: deadline)
        } catch {
            ProbeCollector.addressFamilies(&out.families, ip: nil, host: host, lookup: 0)
            out.families.gauge("probe_failed_due_to_regex", 0, help: "Indicates if probe failed due to regex")
            out.fail(error.kind.rawValue, error.message)
            return out
        }
        defer { stream.close() }
        ProbeCollector.addressFamilies(&out.families, ip: stream.primaryIP, host: host, lookup: stream.timings.resolve)
        if let tls = stream.tls { ProbeCollector.tlsFamilies(&out.families, tls) }
        let regexFailed = converse(stream, deadline: deadline, &out)
        out.families.gauge("probe_failed_due_to_regex", regexFailed ? 1 : 0, help: "Indicates if probe failed due to regex")
        return out
    }

    /// Runs the `query_response` steps; true when a step's `expect` matched no line.
    private func converse(_ stream: TCPStream, deadline: ContinuousClock.Instant, _ out: inout ProbeCollector.Outcome) -> Bool {
        do {
            for (i, step) in options.tcp.queryResponse.enumerated() {
                var send = step.send.map { Array($0.utf8) }
                if let expect = step.expect {
                    var match: [[UInt8]]?
                    // Bounded by the deadline and the peer: each round reads one more line.
                    while match == nil, let line = try stream.readLine(deadline: deadline) {
                        match = expect.firstMatch(line)
                    }
                    guard let match else {
                        out.fail("regex", "step \(i + 1): no line matched \(expect.pattern) before the connection ended")
                        return true
                    }
                    send = step.send.map { SearchRegex.expand($0, match) }
                }
                if let send, !send.isEmpty {
                    try stream.send(send + [UInt8(ascii: "\n")], deadline: deadline)
                }
            }
        } catch {
            out.fail(error.kind.rawValue, error.message)
        }
        return false
    }
}
