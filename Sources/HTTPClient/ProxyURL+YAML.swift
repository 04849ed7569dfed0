import Foundation
public import VigilCore

extension StrictYAMLReader {
    /// `proxy_url`: an http, https or socks5 URL with a host, or nil when absent.
    public func proxyURL(_ key: String) throws(PositionedError) -> String? {
        guard let raw = try string(key) else { return nil }
        guard let u = URLComponents(string: raw), let scheme = u.scheme?.lowercased(),
              ["http", "https", "socks5", "socks5h"].contains(scheme), let host = u.host, !host.isEmpty,
              u.port.map({ (1...65535).contains($0) }) ?? true else {
            throw error(key, "must be an http://, https:// or socks5:// URL with a host")
        }
        return raw
    }
}
