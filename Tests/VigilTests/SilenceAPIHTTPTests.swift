import Foundation
import HTTPServer
import Notify
import Testing
@testable import Vigil

@Suite("Silence API over HTTP")
struct SilenceAPIHTTPTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func api() throws -> SilenceAPI {
        let dir = NSTemporaryDirectory() + "vigil-silence-http-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return SilenceAPI(store: try SilenceStore(stateDirectory: dir), clock: { t0 })
    }

    static func request(_ method: String, _ path: String, _ body: String = "", query: [String: String] = [:]) -> HTTPRequest {
        HTTPRequest(method: method, path: path, query: query, body: Array(body.utf8))
    }

    static let silence = """
        {"matchers":[{"name":"alertname","value":"DiskFull"}],"startsAt":"2023-11-14T22:13:20Z",
         "endsAt":"2023-11-14T23:13:20Z","createdBy":"ops","comment":"maintenance"}
        """

    @Test("the v2 paths and methods map onto the silence functions; answers are JSON")
    func routes() throws {
        let api = try Self.api()
        let created = try #require(api.handle(Self.request("POST", "/api/v2/silences", Self.silence)))
        #expect(created.status == 200 && created.header("content-type") == "application/json")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any])?["silenceID"] as? String)

        let listed = try #require(api.handle(Self.request("GET", "/api/v2/silences")))
        #expect(listed.status == 200 && listed.header("content-type") == "application/json")
        #expect((try JSONSerialization.jsonObject(with: Data(listed.body)) as? [Any])?.count == 1)
        let filtered = try #require(api.handle(Self.request("get", "/api/v2/silences", query: ["filter": "alertname=Other"])))
        #expect(filtered.body == Array("[]".utf8))
        #expect(api.handle(Self.request("GET", "/api/v2/silences", query: ["filter": "{a="]))?.status == 400)
        #expect(api.handle(Self.request("HEAD", "/api/v2/silence/\(id)"))?.status == 200)
        #expect(api.handle(Self.request("GET", "/api/v2/silence/nope"))?.status == 404)

        let deleted = try #require(api.handle(Self.request("DELETE", "/api/v2/silence/\(id)")))
        #expect(deleted.status == 200 && deleted.body.isEmpty && deleted.header("content-type") == nil)
        let again = try #require(api.handle(Self.request("DELETE", "/api/v2/silence/\(id)")))
        #expect(again.status == 500 && again.header("content-type") == "application/json")
    }

    @Test("other methods get 405 with Allow; other paths are not this API's")
    func notThisAPI() throws {
        let api = try Self.api()
        let collection = try #require(api.handle(Self.request("PUT", "/api/v2/silences")))
        #expect(collection.status == 405 && collection.header("allow") == "GET, HEAD, POST")
        let item = try #require(api.handle(Self.request("POST", "/api/v2/silence/x")))
        #expect(item.status == 405 && item.header("allow") == "DELETE, GET, HEAD")
        #expect(api.handle(Self.request("GET", "/metrics")) == nil)
        #expect(api.handle(Self.request("GET", "/api/v2/silence/")) == nil)
        #expect(SilenceAPI.handles(path: "/api/v2/silence/abc"))
        #expect(SilenceAPI.handles(path: "/api/v2/silences"))
        #expect(!SilenceAPI.handles(path: "/api/v2/silence/"))
        #expect(!SilenceAPI.handles(path: "/api/v2/alerts"))
    }
}
