import Foundation
import Testing

/// `scripts/lib/remote-write-sink.py` on loopback: a remote-write receiver whose snappy and
/// protobuf decoding is hand-written in Python (independent of Vigil's encoder), answering
/// scripted statuses per path. Killed when released.
public final class RemoteWriteSink {
    public let port: Int
    private let process = Process()
    private let directory: URL

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/lib/remote-write-sink.py").path

    public struct StartFailed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts the sink on `port` (nil: a free one) and waits (bounded) until it listens.
    public init(port fixed: Int? = nil) throws {
        directory = try TestEnvironment.temporaryDirectory()
        let portFile = directory.appendingPathComponent("port").path
        process.executableURL = URL(fileURLWithPath: TestEnvironment.executable("python3") ?? "/usr/bin/python3")
        process.arguments = [Self.script, portFile] + (fixed.map { [String($0)] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var found: Int?
        _ = eventually(15) {
            found = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            return found != nil
        }
        guard let found else {
            stopChild(process)
            throw StartFailed(description: "remote-write-sink.py did not start")
        }
        port = found
        guard eventually(10, { (try? HTTPTestClient.request(port: found, path: "/-/healthy").status) == 200 }) else {
            stopChild(process)
            throw StartFailed(description: "remote-write-sink.py does not answer")
        }
    }

    deinit { stop() }

    public func stop() {
        stopChild(process)
        try? FileManager.default.removeItem(at: directory)
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The next answers of `path` (then 200).
    public func script(_ path: String, _ statuses: [Int]) throws {
        let r = try HTTPTestClient.request(port: port, path: "/-/script?path=\(path)&statuses=\(statuses.map(String.init).joined(separator: ","))")
        #expect(r.status == 200)
    }

    public struct State {
        public var requests: [String: Int]
        public var headers: [String: String]
        public var errors: [String]
        public var total: Int
        /// (labels, value, timestamp ms)
        public var samples: [(labels: [String: String], value: Double, timestamp: Int64)]

        public func requests(_ status: Int) -> Int { requests[String(status)] ?? 0 }
        public var maxTimestamp: Int64 { samples.map(\.timestamp).max() ?? 0 }

        /// "name{a=b,...}@ts=value" for every sample at or before `cutoff`, sorted.
        public func keys(upTo cutoff: Int64) -> [String] {
            samples.filter { $0.timestamp <= cutoff }.map { s in
                "\(s.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))@\(s.timestamp)=\(s.value)"
            }.sorted()
        }
    }

    /// What `path` received (samples of metric `name` only, or all when nil).
    public func state(_ path: String, name: String? = nil) throws -> State {
        let query = "/-/state?path=\(path)" + (name.map { "&name=\($0)" } ?? "")
        let r = try HTTPTestClient.request(port: port, path: query, timeout: 20)
        guard r.status == 200, let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else {
            throw StartFailed(description: "bad state answer \(r.status)")
        }
        var samples: [(labels: [String: String], value: Double, timestamp: Int64)] = []
        for case let item as [Any] in json["samples"] as? [Any] ?? [] where item.count == 3 {
            let labels = item[0] as? [String: String] ?? [:]
            let value: Double
            if let s = item[1] as? String { value = s == "NaN" ? .nan : (s == "+Inf" ? .infinity : -.infinity) } else { value = (item[1] as? NSNumber)?.doubleValue ?? .nan }
            samples.append((labels, value, (item[2] as? NSNumber)?.int64Value ?? 0))
        }
        return State(requests: json["requests"] as? [String: Int] ?? [:], headers: json["headers"] as? [String: String] ?? [:],
                     errors: json["errors"] as? [String] ?? [], total: json["total"] as? Int ?? 0, samples: samples)
    }
}
