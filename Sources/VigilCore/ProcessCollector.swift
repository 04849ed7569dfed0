import CBuildInfo
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The version of this build of Vigil.
public enum VigilVersion {
    public static let current = "0.1.0"
    /// The git commit the binary was built from (`-dirty` when the tree had uncommitted
    /// changes), or "unknown": stamped after linking by scripts/build-release and scripts/test.
    public static let commit = String(cString: vigil_build_commit())
    /// What `vigil --version` and `vigil version` print.
    public static var description: String { "\(current) (commit \(commit))" }
}

/// Process metrics under the names the Prometheus client libraries use, read from /proc,
/// plus `vigil_build_info`.
public struct ProcessCollector: Collector {
    public let kind = "process"
    public let upMetric: String? = nil
    private let procRoot: String

    public init(procRoot: String = "/proc") { self.procRoot = procRoot }

    public func collect(_ context: CollectContext) throws -> [MetricFamily] {
        var families: [MetricFamily] = [
            .gauge("vigil_build_info", "Vigil build information; the value is always 1.",
                   value: 1, labels: ["version": VigilVersion.current, "revision": VigilVersion.commit, "os": "linux", "arch": Self.arch]),
        ]
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = try? String(contentsOfFile: "\(procRoot)/self/stat", encoding: .utf8),
           let fields = Self.statFields(stat), ticks > 0 {
            // Fields after the command: index 0 is field 3 (state) of proc(5).
            func field(_ n: Int) -> Double? { n - 3 < fields.count ? Double(fields[n - 3]) : nil }
            if let utime = field(14), let stime = field(15) {
                families.append(.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                                         [Sample(Labels(), (utime + stime) / ticks)]))
            }
            if let vsize = field(23) {
                families.append(.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", value: vsize))
            }
            if let rss = field(24) {
                families.append(.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", value: rss * pageSize))
            }
            if let start = field(22), let boot = bootTime() {
                families.append(.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                                       value: boot + start / ticks))
            }
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "\(procRoot)/self/fd") {
            families.append(.gauge("process_open_fds", "Number of open file descriptors.", value: Double(fds.count)))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            families.append(.gauge("process_max_fds", "Maximum number of open file descriptors.", value: Double(limit.rlim_cur)))
        }
        // The soft address-space limit, as client_golang reads it from /proc/self/limits:
        // "unlimited" (RLIM_INFINITY) is the largest uint64, 1.8446744073709552e+19 as a float.
        var addressSpace = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &addressSpace) == 0 {
            families.append(.gauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.",
                                   value: Double(addressSpace.rlim_cur)))
        }
        return families
    }

    /// Splits /proc/self/stat after the parenthesised command (which may hold spaces).
    static func statFields(_ stat: String) -> [Substring]? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
    }

    private func bootTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "\(procRoot)/stat", encoding: .utf8) else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: " "))
        }
        return nil
    }

    private static var arch: String {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }
}
