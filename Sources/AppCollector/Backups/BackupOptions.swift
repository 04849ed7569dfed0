import HTTPClient
public import VigilCore

/// One `backups:` item: a set of files matched by a glob, or the objects under an S3 prefix.
public struct BackupOptions: Sendable, Hashable {
    public enum Verify: String, Sendable, Hashable { case none, gzip }

    public enum Source: Sendable, Hashable {
        case path(String)
        case s3(S3Location)
    }

    public var name: String
    public var source: Source
    public var verify: Verify = .none
    /// More matching files or objects than this fail the collection (a glob gone wrong).
    public var maxFiles = 100_000
    /// The newest file is verified only up to this many compressed bytes.
    public var verifyMaxBytes = 64 << 30
}

/// Where an S3 listing goes and how it is signed. `secretAccessKey` never leaves this type
/// except into the SigV4 signature.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public var bucket: String
    public var prefix: String
    /// `https://s3.<region>.amazonaws.com` unless set (any S3-compatible server, path style).
    public var endpoint: String
    public var region: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var tls: TLSOptions

    public var description: String { "s3://\(bucket)/\(prefix) at \(endpoint) (\(region))" }
}
