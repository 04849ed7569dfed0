import HTTPServer
import Testing
@testable import Vigil

/// State-changing requests sent by a browser for another site are refused (the silence buttons
/// make the API browser-reachable with cached basic-auth credentials); other clients pass.
@Suite("Cross-origin protection of state-changing endpoints")
struct CrossOriginCheckTests {
    static func request(_ method: String, _ headers: [String: String]) -> HTTPRequest {
        HTTPRequest(method: method, path: "/api/v2/silences", headers: ["Host": "127.0.0.1:9633"].merging(headers) { _, new in new })
    }

    @Test("Sec-Fetch-Site cross-site or same-site → 403; same-origin and none pass; GET and HEAD always pass")
    func secFetchSite() {
        #expect(CrossOriginCheck.refusal(Self.request("POST", ["Sec-Fetch-Site": "cross-site"]))?.status == 403)
        #expect(CrossOriginCheck.refusal(Self.request("DELETE", ["Sec-Fetch-Site": "same-site"]))?.status == 403)
        #expect(CrossOriginCheck.refusal(Self.request("POST", ["Sec-Fetch-Site": "same-origin"])) == nil)
        #expect(CrossOriginCheck.refusal(Self.request("POST", ["Sec-Fetch-Site": "none"])) == nil)
        #expect(CrossOriginCheck.refusal(Self.request("GET", ["Sec-Fetch-Site": "cross-site"])) == nil)
        #expect(CrossOriginCheck.refusal(Self.request("HEAD", ["Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"])) == nil)
    }

    @Test("without Sec-Fetch-Site, Origin must name this Host; no Origin (curl, amtool, vigil silence, Prometheus) passes")
    func origin() {
        #expect(CrossOriginCheck.refusal(Self.request("POST", ["Origin": "https://evil.example"]))?.status == 403)
        #expect(CrossOriginCheck.refusal(Self.request("POST", ["Origin": "http://127.0.0.1:9634"]))?.status == 403)
        #expect(CrossOriginCheck.refusal(Self.request("POST", ["Origin": "null"]))?.status == 403)
        #expect(CrossOriginCheck.refusal(Self.request("PUT", ["Origin": "http://127.0.0.1:9633"])) == nil)
        #expect(CrossOriginCheck.refusal(HTTPRequest(method: "POST", path: "/", headers: ["Host": "[::1]:9633", "Origin": "http://[::1]:9633"])) == nil)
        #expect(CrossOriginCheck.refusal(HTTPRequest(method: "POST", path: "/", headers: ["Host": "vigil.example", "Origin": "https://vigil.example"])) == nil)
        #expect(CrossOriginCheck.refusal(Self.request("POST", [:])) == nil)
        #expect(CrossOriginCheck.refusal(HTTPRequest(method: "DELETE", path: "/api/v2/silence/x")) == nil)
    }
}
