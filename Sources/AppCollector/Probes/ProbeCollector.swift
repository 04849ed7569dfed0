import Foundation
import HTTPClient
public import Logging
import Synchronization
public import VigilCore

/// Runs one probe per cycle. A failing probe is a successful collection reading
/// `probe_success 0` (blackbox_exporter has no `up` for probes either); its reason is logged
/// and counted in `vigil_probe_failures_total{reason}`. The probe gives up a little before the
/// cycle's deadline, so its own answer, not the scheduler's watchdog, reports a hanging target.
public final class ProbeCollector: Collector {
    public let kind = "probe"
    public let upMetric: String? = nil
    public let options: ProbeOptions
    let userAgent: String
    let logger: Logger
    private let failures = Mutex<[String: Double]>([:])

    public init(options: ProbeOptions, version: String, logger: Logger) {
        self.options = options
        self.userAgent = version.isEmpty ? "vigil" : "vigil/\(version)"
        self.logger = logger
    }

    /// What a prober found: its families and, when it failed, why.
    struct Outcome {
        var families = FamilyBuilder()
        var failure: (reason: String, detail: String)?

        mutating func fail(_ reason: String, _ detail: String) {
            if failure == nil { failure = (reason, detail) }
        }
    }

    public func collect(_ context: CollectContext) throws -> [MetricFamily] {
        let started = ContinuousClock.now
        let budget = (context.deadline - started).seconds
        // Leave the scheduler's watchdog a margin: a tenth of the budget, at most half a second.
        let deadline = context.deadline - .milliseconds(Int64(min(0.5, max(0, budget) / 10) * 1000))
        var outcome = switch options.prober {
        case .http: HTTPProber(options: options, userAgent: userAgent).run(deadline: deadline)
        case .tcp: TCPProber(options: options).run(deadline: deadline)
        }
        let duration = (ContinuousClock.now - started).seconds
        var b = FamilyBuilder()
        b.gauge("probe_success", outcome.failure == nil ? 1 : 0, help: "Displays whether or not the probe was a success")
        b.gauge("probe_duration_seconds", duration, help: "Returns how long the probe took to complete in seconds")
        b.append(contentsOf: outcome.families.families)
        if let failure = outcome.failure {
            logger.warning("probe failed", metadata: ["reason": "\(failure.reason)", "detail": "\(failure.detail)"])
            failures.withLock { $0[failure.reason, default: 0] += 1 }
        }
        let counts = failures.withLock { $0 }
        b.declare("vigil_probe_failures_total", .counter, help: "Probes that failed, by reason.")
        for (reason, n) in counts.sorted(by: { $0.key < $1.key }) {
            b.counter("vigil_probe_failures_total", n, ["reason": reason])
        }
        outcome.families = FamilyBuilder()
        return b.families
    }

    // MARK: - Shared by the probers

    /// `probe_ip_protocol`, `probe_ip_addr_hash` and `probe_dns_lookup_time_seconds` for the
    /// address connected to (or the host when it is an address literal), as blackbox's
    /// `chooseProtocol` sets them.
    static func addressFamilies(_ b: inout FamilyBuilder, ip: String?, host: String, lookup: Double) {
        let address = ip.flatMap(IPAddress.init) ?? IPAddress(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
        b.gauge("probe_ip_protocol", address.map { Double($0.version) } ?? 0, help: "Specifies whether probe ip protocol is IP4 or IP6")
        b.gauge("probe_ip_addr_hash", address?.fnv32a ?? 0, help: "Specifies the hash of IP address. It's useful to detect if the IP address changes.")
        b.gauge("probe_dns_lookup_time_seconds", lookup, help: "Returns the time taken for probe dns lookup in seconds")
    }

    /// The TLS families of blackbox's HTTP and TCP probers.
    static func tlsFamilies(_ b: inout FamilyBuilder, _ t: TLSSessionInfo) {
        b.gauge("probe_ssl_earliest_cert_expiry", t.earliestPeerExpiry ?? goZeroTime,
                help: "Returns last SSL chain expiry in unixtime")
        b.gauge("probe_tls_version_info", 1, ["version": t.goName], help: "Returns the TLS version used or NaN when unknown")
        b.gauge("probe_ssl_last_chain_expiry_timestamp_seconds", t.verifiedChainExpiry ?? goZeroTime,
                help: "Returns last SSL chain expiry in timestamp")
    }

    /// Go's zero `time.Time` in Unix seconds, what blackbox reports for an unverified chain.
    static let goZeroTime: Double = -62_135_596_800
}

/// An IPv4 or IPv6 address in its binary form.
struct IPAddress {
    let bytes: [UInt8]
    var version: Int { bytes.count == 4 ? 4 : 6 }

    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let all = withUnsafeBytes(of: v6) { Array($0) }
        // An IPv4-mapped address hashes as its IPv4 form, as Go's To4() does.
        if all[0..<10].allSatisfy({ $0 == 0 }) && all[10] == 0xFF && all[11] == 0xFF {
            bytes = Array(all[12...])
        } else {
            bytes = all
        }
    }

    /// FNV-1a, 32 bits, of the address bytes (blackbox's `ipHash`).
    var fnv32a: Double {
        var h: UInt32 = 2_166_136_261
        for b in bytes {
            h ^= UInt32(b)
            h = h &* 16_777_619
        }
        return Double(h)
    }
}
