import HTTPClient
public import VigilCore

/// Everything one scrape target (a job × one of its static targets) is scraped with.
public struct ScrapeOptions: Sendable {
    public var jobName: String
    /// `host:port` as written in `static_configs.targets`.
    public var address: String
    public var scheme: String
    public var metricsPath: String
    /// `params`: query parameters, in file order, each with its values.
    public var params: [(name: String, values: [String])]
    /// The target's labels: `job`, `instance` and the static labels (which may set either).
    public var targetLabels: [Label]
    public var honorLabels: Bool
    public var interval: Double
    public var timeout: Double
    public var basicAuth: (username: String, password: String)?
    public var authorization: (type: String, credentials: String)?
    public var tls: TLSOptions?
    public var proxyURL: String?
    /// 0: no limit.
    public var sampleLimit: Int
    /// 0: no limit.
    public var labelLimit: Int
    public var bodySizeLimit: Int
    public var metricRelabel: [RelabelRule]
    /// The relabel rules as `check-config` shows them.
    public var renderedRelabel: [String]

    public static let defaultBodySizeLimit = 64 << 20
    public static let bodySizeLimitRange = (1 << 10)...(1 << 30)

    public init(jobName: String, address: String, scheme: String = "http", metricsPath: String = "/metrics",
                params: [(name: String, values: [String])] = [], staticLabels: [Label] = [], honorLabels: Bool = false,
                interval: Double = 15, timeout: Double = 10, basicAuth: (username: String, password: String)? = nil,
                authorization: (type: String, credentials: String)? = nil, tls: TLSOptions? = nil, proxyURL: String? = nil,
                sampleLimit: Int = 0, labelLimit: Int = 0, bodySizeLimit: Int = defaultBodySizeLimit,
                metricRelabel: [RelabelRule] = [], renderedRelabel: [String] = []) {
        self.jobName = jobName
        self.address = address
        self.scheme = scheme
        self.metricsPath = metricsPath
        self.params = params
        self.targetLabels = Self.targetLabels(job: jobName, address: address, staticLabels: staticLabels)
        self.honorLabels = honorLabels
        self.interval = interval
        self.timeout = timeout
        self.basicAuth = basicAuth
        self.authorization = authorization
        self.tls = tls
        self.proxyURL = proxyURL
        self.sampleLimit = sampleLimit
        self.labelLimit = labelLimit
        self.bodySizeLimit = bodySizeLimit
        self.metricRelabel = metricRelabel
        self.renderedRelabel = renderedRelabel
    }

    /// Prometheus' order of precedence: static labels win, `job` defaults to the job's name and
    /// `instance` to the address.
    static func targetLabels(job: String, address: String, staticLabels: [Label]) -> [Label] {
        let statics = staticLabels.filter { !$0.value.isEmpty }
        var out: [Label] = []
        out.append(Label("job", statics.first(where: { $0.name == "job" })?.value ?? job))
        out.append(Label("instance", statics.first(where: { $0.name == "instance" })?.value ?? address))
        out += statics.filter { $0.name != "job" && $0.name != "instance" }
        return out
    }

    public var instance: String { targetLabels.first(where: { $0.name == "instance" })?.value ?? address }

    /// The URL scraped: scheme, address, path and the percent-encoded parameters.
    public var url: String {
        var url = "\(scheme)://\(address)\(metricsPath)"
        let query = params.flatMap { p in p.values.map { "\(Self.encode(p.name))=\(Self.encode($0))" } }
        if !query.isEmpty { url += (metricsPath.contains("?") ? "&" : "?") + query.joined(separator: "&") }
        return url
    }

    static func encode(_ s: String) -> String { PercentEncoding.encode(s) }
}


extension ScrapeOptions: Hashable {
    /// Every stored property (tuples spelled out), secrets included: a reload compares targets
    /// with this. A property added above belongs here too.
    public static func == (a: ScrapeOptions, b: ScrapeOptions) -> Bool {
        a.jobName == b.jobName && a.address == b.address && a.scheme == b.scheme && a.metricsPath == b.metricsPath
            && a.params.map(\.name) == b.params.map(\.name) && a.params.map(\.values) == b.params.map(\.values)
            && a.targetLabels == b.targetLabels && a.honorLabels == b.honorLabels
            && a.interval == b.interval && a.timeout == b.timeout
            && a.basicAuth?.username == b.basicAuth?.username && a.basicAuth?.password == b.basicAuth?.password
            && (a.basicAuth == nil) == (b.basicAuth == nil)
            && a.authorization?.type == b.authorization?.type && a.authorization?.credentials == b.authorization?.credentials
            && (a.authorization == nil) == (b.authorization == nil)
            && a.tls == b.tls && a.proxyURL == b.proxyURL
            && a.sampleLimit == b.sampleLimit && a.labelLimit == b.labelLimit && a.bodySizeLimit == b.bodySizeLimit
            && a.metricRelabel == b.metricRelabel && a.renderedRelabel == b.renderedRelabel
    }

    public func hash(into h: inout Hasher) {
        h.combine(jobName)
        h.combine(address)
        h.combine(metricsPath)
        h.combine(targetLabels)
        h.combine(interval)
    }
}
