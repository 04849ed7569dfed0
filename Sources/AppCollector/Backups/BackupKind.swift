import Foundation
import HTTPClient
public import VigilCore

/// The `backups:` section: freshness, size and integrity of backup files or S3 objects.
public struct BackupKind: TargetKind {
    public let section = "backups"

    public init() {}

    public func render(_ targets: [ConfiguredTarget]) -> [String] { TargetList.renderList(section: section, targets) }

    public func read(_ top: StrictYAMLReader, defaults: TargetDefaults) throws(PositionedError) -> [ConfiguredTarget] {
        guard let items = try top.sequence(section) else { return [] }
        var names: Set<String> = []
        var out: [ConfiguredTarget] = []
        for item in items {
            let r = try StrictYAMLReader(item.node, path: item.path, context: top.context)
            let name = try r.requiredString("name")
            guard names.insert(name).inserted else { throw r.error("name", "duplicate backup name \"\(name)\"") }
            let interval = defaults.interval(try r.seconds("interval", range: TargetList.collectInterval))
            let timeout = defaults.timeout(interval: interval, own: try r.seconds("timeout", range: TargetList.collectTimeout))
            guard timeout <= interval else { throw r.error("timeout", "must not be longer than the interval") }
            let path = try r.string("path")
            let s3 = try r.mapping("s3")
            let source: BackupOptions.Source
            switch (path, s3) {
            case (let p?, nil):
                guard p.hasPrefix("/") else { throw r.error("path", "must be an absolute path or glob") }
                source = .path(p)
            case (nil, let s?):
                source = .s3(try Self.s3(s))
            case (.some, .some):
                throw r.error("s3", "set either path or s3, not both")
            case (nil, nil):
                throw r.error(item.node, item.path, "path or s3 is required")
            }
            var options = BackupOptions(name: name, source: source)
            if let v = try r.string("verify") {
                guard let verify = BackupOptions.Verify(rawValue: v) else { throw r.error("verify", "must be gzip or none") }
                if case .s3 = source, verify != .none { throw r.error("verify", "verify: gzip reads local files; S3 backups take none") }
                options.verify = verify
            }
            if let n = try r.int("max_files", range: 1...10_000_000) { options.maxFiles = n }
            if let n = try r.int("verify_max_bytes", range: 1...(1 << 50)) { options.verifyMaxBytes = n }
            try r.finish()
            let fixed = options
            out.append(ConfiguredTarget(
                kind: section, name: name, interval: interval, timeout: timeout,
                labels: [Label("backup", name)], rendered: Self.render(fixed), options: fixed,
                makeCollector: { logger in BackupCollector(options: fixed, logger: logger) }))
        }
        return out
    }

    static func s3(_ s: StrictYAMLReader) throws(PositionedError) -> S3Location {
        let bucket = try s.requiredString("bucket")
        guard (3...63).contains(bucket.count), bucket.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 || $0 == 46 }) else {
            throw s.error("bucket", "must be an S3 bucket name (3-63 of a-z, 0-9, '-', '.')")
        }
        let prefix = try s.string("prefix") ?? ""
        let region = try s.string("region") ?? "us-east-1"
        guard !region.isEmpty, region.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }) else {
            throw s.error("region", "must be a region name such as eu-west-1")
        }
        var endpoint = try s.string("endpoint") ?? "https://s3.\(region).amazonaws.com"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        guard let u = URLComponents(string: endpoint), ["http", "https"].contains(u.scheme ?? ""), !(u.host ?? "").isEmpty,
              u.user == nil, u.password == nil, u.query == nil else {
            throw s.error("endpoint", "must be an http:// or https:// URL without credentials or query")
        }
        let key = try s.requiredString("access_key_id")
        guard let secret = try s.secret("secret_access_key"), !secret.isEmpty else {
            throw s.error("secret_access_key", "secret_access_key or secret_access_key_file is required")
        }
        let tls = try s.tlsConfig("tls_config") ?? TLSOptions()
        try s.finish()
        return S3Location(bucket: bucket, prefix: prefix, endpoint: endpoint, region: region, accessKeyID: key,
                          secretAccessKey: secret, tls: tls)
    }

    static func render(_ o: BackupOptions) -> [String] {
        var lines: [String] = []
        switch o.source {
        case .path(let p):
            lines.append("path: \(quote(p))")
        case .s3(let s):
            lines.append("s3:")
            lines.append("  bucket: \(quote(s.bucket))")
            lines.append("  prefix: \(quote(s.prefix))")
            lines.append("  endpoint: \(quote(s.endpoint))")
            lines.append("  region: \(quote(s.region))")
            lines.append("  access_key_id: \(quote(s.accessKeyID))")
            lines.append("  secret_access_key: \(Redaction.mask)")
            lines += ProbeKind.renderTLS(s.tls, indent: "  ")
        }
        lines.append("verify: \(o.verify.rawValue)")
        lines.append("max_files: \(o.maxFiles)")
        if o.verify == .gzip { lines.append("verify_max_bytes: \(o.verifyMaxBytes)") }
        return lines
    }
}
