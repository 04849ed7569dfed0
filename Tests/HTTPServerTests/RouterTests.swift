import Testing
import HTTPServer

@Suite("Router")
struct RouterTests {
    /// The immediate response of a route (every route here answers at once).
    private func answer(_ r: Router, _ request: HTTPRequest) -> HTTPResponse {
        r.route(request).response ?? .text(status: 0, "deferred")
    }

    private func router() -> Router {
        var router = Router()
        router.get("/metrics") { _ in .text("metrics") }
        router.add("/submit", methods: ["post", "PUT"]) { request in
            .text(status: 201, "got \(request.body.count) via \(request.method)")
        }
        return router
    }

    @Test("GET reaches the registered handler")
    func get() {
        let response = answer(router(), HTTPRequest(method: "GET", path: "/metrics"))
        #expect(response.status == 200)
        #expect(response.body == Array("metrics".utf8))
    }

    @Test("HEAD is served by the GET handler")
    func head() {
        let response = answer(router(), HTTPRequest(method: "HEAD", path: "/metrics"))
        #expect(response.status == 200)
        #expect(response.body == Array("metrics".utf8))
    }

    @Test("methods are registered in any case, stored uppercased, and matched exactly (RFC 9110)")
    func otherMethods() {
        let response = answer(router(), HTTPRequest(method: "POST", path: "/submit", body: [1, 2, 3]))
        #expect(response.status == 201)
        #expect(String(decoding: response.body, as: UTF8.self) == "got 3 via POST")
        // `post` is a different method from POST: the path is known, so 405 with Allow.
        let lower = answer(router(), HTTPRequest(method: "post", path: "/submit"))
        #expect(lower.status == 405)
        #expect(lower.header("allow") == "POST, PUT")
        #expect(answer(router(), HTTPRequest(method: "get", path: "/metrics")).status == 405)
        #expect(answer(router(), HTTPRequest(method: "head", path: "/metrics")).status == 405)
    }

    @Test("a reply handler may defer; the router passes the deferred reply through")
    func deferred() {
        var r = Router()
        r.add("/later", methods: ["GET"], reply: { _ in .deferred { responder in responder.respond(.text("late")) } })
        guard case .deferred = r.route(HTTPRequest(method: "GET", path: "/later")) else {
            Issue.record("expected a deferred reply")
            return
        }
        #expect(r.route(HTTPRequest(method: "HEAD", path: "/later")).response == nil)
        #expect(answer(r, HTTPRequest(method: "POST", path: "/later")).status == 405)
    }

    @Test("a known path with another method is 405 with Allow")
    func methodNotAllowed() {
        let r = router()
        let post = answer(r, HTTPRequest(method: "POST", path: "/metrics"))
        #expect(post.status == 405)
        #expect(post.header("allow") == "GET, HEAD")
        let get = answer(r, HTTPRequest(method: "GET", path: "/submit"))
        #expect(get.status == 405)
        #expect(get.header("Allow") == "POST, PUT")
        let head = answer(r, HTTPRequest(method: "HEAD", path: "/submit"))
        #expect(head.status == 405)
    }

    @Test("an unknown path is 404 with a short text body")
    func notFound() {
        let response = answer(router(), HTTPRequest(method: "GET", path: "/nope"))
        #expect(response.status == 404)
        #expect(!response.body.isEmpty && response.body.count < 100)
        #expect(response.header("content-type")?.hasPrefix("text/plain") == true)
        #expect(answer(router(), HTTPRequest(method: "GET", path: "/metrics/")).status == 404)
    }

    @Test("allowedMethods lists HEAD wherever GET is")
    func allowed() {
        #expect(router().allowedMethods(for: "/metrics") == ["GET", "HEAD"])
        #expect(router().allowedMethods(for: "/submit") == ["POST", "PUT"])
        #expect(router().allowedMethods(for: "/x") == nil)
    }

    @Test("a later registration replaces the earlier one")
    func replace() {
        var r = router()
        r.get("/metrics") { _ in .text("second") }
        #expect(answer(r, HTTPRequest(method: "GET", path: "/metrics")).body == Array("second".utf8))
    }

    @Test("request headers are lowercased and repeated ones joined")
    func requestHeaders() {
        let request = HTTPRequest(method: "GET", path: "/", headers: ["Accept-Encoding": "gzip"])
        #expect(request.header("accept-encoding") == "gzip")
        #expect(request.header("ACCEPT-ENCODING") == "gzip")
        #expect(request.headers["accept-encoding"] == "gzip")
    }
}
