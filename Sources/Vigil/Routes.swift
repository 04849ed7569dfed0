import HTTPServer
import Notify
import Rules
import VigilCore

/// Vigil's HTTP endpoints. Every handler returns at once: /metrics sends bytes that were
/// rendered when the last collection landed (copied once per landing, `MetricsBodies`); /api/v1/query defers its answer to the query
/// runner's threads (see `RulesAPI`), /api/v1/alerts and /api/v1/rules to `RulesReadAPI`'s,
/// `/` to the status page's; the status page's stylesheet and script are constants.
struct Routes: Sendable {
    let store: SnapshotStore
    let reload: @Sendable () -> Result<Void, PositionedError>

    private let router: Router

    /// The running notifier's silences, when an `alerting` section is configured.
    let silences: @Sendable () -> SilenceAPI?

    init(store: SnapshotStore, rules: RuleRuntime, queries: QueryRunner, reads: RulesReadAPI,
         silences: @escaping @Sendable () -> SilenceAPI?,
         status: StatusPageSource,
         reload: @escaping @Sendable () -> Result<Void, PositionedError>) {
        self.silences = silences
        self.store = store
        self.reload = reload
        var r = Router()
        let bodies = MetricsBodies(store: store)
        r.get("/metrics") { Self.metrics($0, bodies: bodies) }
        r.get("/-/healthy") { _ in .text(status: 200, "Vigil is Healthy.\n") }
        r.get("/-/ready") { [store] _ in
            store.isReady ? .text(status: 200, "Vigil is Ready.\n")
                : .text(status: 503, "Vigil is not ready: the first collection round has not finished.\n")
        }
        r.add("/-/reload", methods: ["POST", "PUT"]) { _ in
            switch reload() {
            case .success: .text(status: 200, "Reloaded.\n")
            case .failure(let error): .text(status: 500, "Reload failed; the running configuration stays: \(error)\n")
            }
        }
        r.add("/", methods: ["GET", "HEAD"], reply: { _ in status.reply() })
        for asset in StatusPage.assets {
            r.get(asset.path) { asset.response(to: $0) }
        }
        RulesAPI(rules: rules, queries: queries, reads: reads).register(on: &r)
        router = r
    }

    func handle(_ request: HTTPRequest) -> HTTPReply {
        if let refusal = CrossOriginCheck.refusal(request) { return .now(refusal) }
        // Alertmanager's v2 silence paths carry an id, so they are matched by prefix.
        if SilenceAPI.handles(path: request.path) {
            guard let api = silences() else {
                return .now(.text(status: 404, "No alerting section is configured, so there are no silences.\n"))
            }
            return .now(api.handle(request) ?? .text(status: 404, "404 page not found\n"))
        }
        return router.route(request)
    }

    private static func metrics(_ request: HTTPRequest, bodies: MetricsBodies) -> HTTPResponse {
        bodies.response(accept: request.headers["accept"], acceptEncoding: request.headers["accept-encoding"])
    }
}
