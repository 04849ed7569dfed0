import Foundation

/// Resident memory of this process from /proc/self/status (Linux): current and peak, in bytes.
struct ProcessMemory {
    var rss: Int
    var peak: Int

    static func current() -> ProcessMemory {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
            return ProcessMemory(rss: 0, peak: 0)
        }
        var memory = ProcessMemory(rss: 0, peak: 0)
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let kb = Int(parts[1]) else { continue }
            switch parts[0] {
            case "VmRSS:": memory.rss = kb * 1024
            case "VmHWM:": memory.peak = kb * 1024
            default: break
            }
        }
        return memory
    }
}
