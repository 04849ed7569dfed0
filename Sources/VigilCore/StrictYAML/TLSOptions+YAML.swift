import Foundation

extension StrictYAMLReader {
    /// Prometheus' `tls_config` (`ca_file`, `cert_file`, `key_file`, `server_name`,
    /// `insecure_skip_verify`, `min_version`) under `key`, or nil when absent. Files must be
    /// readable now, and a certificate needs its key: a problem is a positioned error at load,
    /// not a failed request later.
    public func tlsConfig(_ key: String) throws(PositionedError) -> TLSOptions? {
        guard let t = try mapping(key) else { return nil }
        var o = TLSOptions()
        for (field, set) in [("ca_file", \TLSOptions.caFile), ("cert_file", \.certFile), ("key_file", \.keyFile)] as [(String, WritableKeyPath<TLSOptions, String?>)] {
            guard let path = try t.string(field) else { continue }
            guard !path.isEmpty else { throw t.error(field, "must not be empty") }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw t.error(field, "no such file: \(path)")
            }
            guard FileManager.default.isReadableFile(atPath: path) else { throw t.error(field, "cannot read \(path) (permission denied)") }
            o[keyPath: set] = path
        }
        guard (o.certFile == nil) == (o.keyFile == nil) else {
            throw t.error(o.certFile == nil ? "cert_file" : "key_file", "cert_file and key_file go together")
        }
        if let name = try t.string("server_name") {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: ":") }) else {
                throw t.error("server_name", "must be a host name")
            }
            o.serverName = name
        }
        o.insecureSkipVerify = try t.bool("insecure_skip_verify") ?? false
        if let v = try t.string("min_version") {
            guard let version = TLSVersion(rawValue: v) else {
                throw t.error("min_version", "unknown TLS version \"\(v)\" (one of \(TLSVersion.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            o.minVersion = version
        }
        try t.finish()
        return o
    }
}
