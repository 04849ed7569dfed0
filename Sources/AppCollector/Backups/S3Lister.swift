import HTTPClient
import VigilCore

/// ListObjectsV2 over HTTPClient, path style, signed with SigV4 by libcurl, paged with
/// continuation tokens and bounded: at most `maxObjects` objects, 8 MiB per page, the
/// cycle's deadline for all pages. Errors name the S3 error code, never a key or secret.
struct S3Lister {
    let location: S3Location
    /// Objects asked for per page (S3's own maximum is 1,000).
    var pageSize = 1000

    /// AWS's URI encoding.
    static func encode(_ s: String) -> String { PercentEncoding.encode(s) }

    /// The URL of one page. The query is already in SigV4's canonical form (sorted, encoded),
    /// which is what libcurl 7.88 signs.
    func pageURL(token: String?, maxKeys: Int) -> String {
        var query: [(String, String)] = [("list-type", "2"), ("max-keys", String(maxKeys)), ("prefix", location.prefix)]
        if let token { query.append(("continuation-token", token)) }
        query.sort { $0.0 < $1.0 }
        return "\(location.endpoint)/\(Self.encode(location.bucket))?" + query.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
    }

    func list(maxObjects: Int, deadline: ContinuousClock.Instant) throws(HTTPClientError) -> [BackupEntry] {
        var out: [BackupEntry] = []
        var token: String?
        let maxPages = maxObjects / pageSize + 2
        for _ in 0..<maxPages {
            let request = HTTPClientRequest(
                url: pageURL(token: token, maxKeys: pageSize),
                headers: [HTTPClientHeader("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")],
                timeout: max(0.001, (deadline - ContinuousClock.now).seconds), tls: location.tls, proxyURL: nil,
                maxResponseBytes: 8 << 20,
                sigV4: SigV4Credentials(region: location.region, accessKeyID: location.accessKeyID, secretAccessKey: location.secretAccessKey))
            let response = try HTTPClient.perform(request, deadline: deadline)
            guard response.status == 200 else {
                let code = S3ListParser.errorCode(response.body).map { " (\($0))" } ?? ""
                let hint = [401, 403].contains(response.status) ? ": check access_key_id, secret_access_key and region" : ""
                throw HTTPClientError(.protocolError, "S3 answered HTTP \(response.status)\(code)\(hint)")
            }
            let page: S3ListParser.Page
            do { page = try S3ListParser.parsePage(response.body) } catch {
                throw HTTPClientError(.protocolError, "S3 answered an unreadable listing: \(error.message)")
            }
            out += page.entries
            guard out.count <= maxObjects else {
                throw HTTPClientError(.tooLarge, "more than max_files (\(maxObjects)) objects under the prefix")
            }
            guard page.truncated else { return out }
            guard page.nextToken != token else { throw HTTPClientError(.protocolError, "S3 repeated its continuation token") }
            token = page.nextToken
        }
        throw HTTPClientError(.tooLarge, "more pages than max_files allows")
    }
}

