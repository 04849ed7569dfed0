public import AppCollector
import Foundation
public import HTTPClient
public import VigilCore

/// One `remote_write:` item, prometheus.yml's shape (the subset in the README).
public struct RemoteWriteConfig: Sendable {
    /// prometheus.yml's `queue_config`, the keys that mean something with one shard and no WAL.
    public struct Queue: Sendable, Hashable {
        /// Samples held in memory while waiting to be sent; past it the oldest are dropped (counted).
        public var capacity = 100_000
        public var maxSamplesPerSend = 2_000
        /// Seconds a sample waits for a full batch before a partial one is sent.
        public var batchSendDeadline = 5.0
        /// Retry backoff, seconds: doubles from min to max.
        public var minBackoff = 0.03
        public var maxBackoff = 5.0
        public var retryOnHTTP429 = false

        public init() {}

        public static let capacityRange = 1...5_000_000
        public static let maxSamplesPerSendRange = 1...100_000
        public static let deadlineRange = 0.001...600.0
        public static let backoffRange = 0.001...600.0
    }

    public var url: String
    /// `remote_name` label of the self-metrics: `name`, else a hash of the URL (as Prometheus).
    public var name: String
    public var remoteTimeout = 30.0
    public var headers: [HTTPClientHeader] = []
    public var basicAuth: (username: String, password: String)?
    public var authorization: (type: String, credentials: String)?
    public var tls: TLSOptions?
    public var proxyURL: String?
    public var writeRelabel: [RelabelRule] = []
    public var queue = Queue()
    /// `check-config`'s lines for this item (secrets masked).
    public var rendered: [String] = []
    /// Every value, secrets included, to tell a changed item on reload. Never printed.
    var identity: [String] = []

    public static let remoteTimeoutRange = 0.001...600.0

    public init(url: String, name: String) {
        self.url = url
        self.name = name
    }

    /// The URL as labels and logs show it: a password in it masked.
    public var redactedURL: String { Redaction.url(url) }

    /// True when `other` would send the same requests the same way.
    public func sameAs(_ other: RemoteWriteConfig) -> Bool { identity == other.identity }

    /// Request headers, authentication included (never logged).
    var requestHeaders: [HTTPClientHeader] {
        var h = [
            HTTPClientHeader("Content-Encoding", "snappy"),
            HTTPClientHeader("Content-Type", "application/x-protobuf"),
            HTTPClientHeader("X-Prometheus-Remote-Write-Version", "0.1.0"),
        ]
        h += headers
        if let b = basicAuth {
            h.append(HTTPClientHeader("Authorization", "Basic " + Data("\(b.username):\(b.password)".utf8).base64EncodedString()))
        } else if let a = authorization {
            h.append(HTTPClientHeader("Authorization", "\(a.type) \(a.credentials)"))
        }
        return h
    }
}
