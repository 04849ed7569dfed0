import Foundation
import HTTPServer
import Notify

/// A file the status page loads (its stylesheet, its script), compiled into the binary as a
/// constant and served by Vigil itself: nothing to install, nothing fetched from elsewhere.
/// The name carries a hash of the content (`status.<16 hex>.css`), so a new build's page asks
/// for a new name and browsers may keep each one forever (`immutable`); the same hash is the
/// ETag, so a revalidation is a 304.
struct StaticAsset: Sendable {
    /// Absolute path, `/static/<name>.<hash>.<ext>`.
    let path: String
    let contentType: String
    let body: [UInt8]
    /// The quoted entity tag: the content hash.
    let etag: String

    static let cacheControl = "public, max-age=31536000, immutable"

    init(name: String, ext: String, contentType: String, text: String) {
        body = Array(text.utf8)
        let hash = String(SHA256.hex(SHA256.hash(body)).prefix(16))
        path = "/static/\(name).\(hash).\(ext)"
        self.contentType = contentType
        etag = "\"\(hash)\""
    }

    /// The path relative to the page at `/` (the page's other links are relative too, so it
    /// works behind a reverse proxy that mounts Vigil under a prefix).
    var relativePath: String { String(path.dropFirst()) }

    /// 200 with the bytes, or 304 when `If-None-Match` names this version (or is `*`).
    func response(to request: HTTPRequest) -> HTTPResponse {
        var headers = [("Content-Type", contentType), ("Cache-Control", Self.cacheControl), ("ETag", etag)]
        headers += SecurityHeaders.common
        if let wanted = request.header("if-none-match"), Self.matches(wanted, etag) {
            return HTTPResponse(status: 304, headers: headers.filter { $0.0 != "Content-Type" })
        }
        return HTTPResponse(status: 200, headers: headers, body: body)
    }

    /// RFC 9110's weak comparison of an `If-None-Match` list with `etag`.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { item in
            var tag = item.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }
}
