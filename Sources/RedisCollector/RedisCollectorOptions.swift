public import VigilCore

/// Everything one Redis target needs. The configuration loader maps YAML onto it; every field
/// has a default, so `RedisCollectorOptions(url:)` is a working target.
public struct RedisCollectorOptions: Sendable, Hashable {
    /// `redis://[user[:password]@]host[:port][/db]` or `unix:///path/to/socket[?db=N]`.
    /// `rediss://` connects over TLS (see `tls`).
    public var url: String
    /// `tls_config` of a `rediss://` target: CA, client certificate, server name; nil means the
    /// system CAs and the URL's host.
    public var tls: TLSOptions?
    /// ACL user name; overrides the URL's user when set.
    public var username: String?
    /// Password; overrides the URL's password when set.
    public var password: String?
    /// File holding the password (trailing newline ignored). Read at every (re)connect, so a
    /// rotated secret is picked up; overrides `password` and the URL's password.
    public var passwordFile: String?
    /// Seconds allowed to establish the TCP/unix connection (also bounded by the cycle deadline).
    public var connectTimeout: Double
    /// Seconds allowed for one command or pipeline round trip (also bounded by the cycle deadline).
    public var commandTimeout: Double
    /// First delay before reconnecting after a failure; doubles per consecutive failure.
    public var reconnectBackoffInitial: Double
    /// Largest delay between reconnect attempts.
    public var reconnectBackoffMax: Double
    /// Name given with `CLIENT SETNAME` (empty or nil: not set).
    public var clientName: String?
    /// Name of the CONFIG command (managed Redis may rename it); "-" skips CONFIG, as redis_exporter's `-config-command`.
    public var configCommand: String
    /// Export `redis_db_keys`/`redis_db_keys_expiring` = 0 for databases without keys (redis_exporter does).
    public var includeEmptyDatabases: Bool
    /// Query `LATENCY HISTOGRAM` (Redis 7+) for `redis_commands_latencies_usec`.
    public var latencyHistograms: Bool
    /// Key patterns counted with SCAN on the scan cadence: `redis_keys_count{db, key}`.
    public var keyPatterns: [RedisKeyPattern]
    /// BullMQ queue discovery and counts.
    public var bullmq: BullMQOptions
    /// redis_exporter's `check-streams`: stream name patterns (SCANned on the scan cadence) and
    /// names without glob characters (checked as they are), `redis_stream_*`.
    public var checkStreams: [RedisKeyArgument]
    /// redis_exporter's `check-single-streams`: stream names checked without SCAN.
    public var checkSingleStreams: [RedisKeyArgument]
    /// redis_exporter's `check-keys`: `redis_key_size`/`redis_key_value` for the keys matching
    /// each pattern (SCANned; a name without glob characters is checked as it is).
    public var checkKeys: [RedisKeyArgument]
    /// redis_exporter's `check-single-keys`: keys checked without SCAN.
    public var checkSingleKeys: [RedisKeyArgument]
    /// Export a non-numeric string key's value as the `val` label of `redis_key_value_as_string`
    /// (redis_exporter 1.45 does; off by default: values become label values).
    public var checkKeysStringValues: Bool
    /// Most streams checked per cycle (configured ones and BullMQ events streams together).
    public var maxStreams: Int
    /// Most keys checked per cycle.
    public var maxCheckedKeys: Int
    /// redis_exporter's `export-client-list`: one `redis_connected_client_info` series per client (cardinality!).
    public var exportClientList: Bool
    /// `redis_connected_clients_by_name{name}` from `CLIENT LIST`; at most `maxClientNames` names, the rest as `name="other"`.
    public var clientsByName: Bool
    public var maxClientNames: Int
    /// redis_exporter's `include-config-metrics`: every `CONFIG GET *` setting as
    /// `redis_config_key_value{key,value}` (and numeric ones as `redis_config_value{key}`).
    /// Off: only the settings Vigil's dashboard shows (`RedisConfigFamilies.dashboardSettings`).
    public var includeConfigMetrics: Bool
    /// Seconds between the starts of two complete SCAN passes over a pattern (and of BullMQ discovery).
    public var scanInterval: Double
    /// Keys per second SCAN may examine, over all patterns of the target (the COUNT hints add up to this).
    public var scanKeysPerSecond: Double
    /// COUNT hint of one SCAN call.
    public var scanCount: Int
    /// Most seconds one collection cycle spends in SCAN calls, so key counting never delays INFO.
    public var scanTimePerCycle: Double
    /// Version reported in `redis_exporter_build_info{version}`.
    public var buildVersion: String

    public init(
        url: String,
        tls: TLSOptions? = nil,
        username: String? = nil,
        password: String? = nil,
        passwordFile: String? = nil,
        connectTimeout: Double = 5,
        commandTimeout: Double = 5,
        reconnectBackoffInitial: Double = 1,
        reconnectBackoffMax: Double = 60,
        clientName: String? = "vigil",
        configCommand: String = "CONFIG",
        includeEmptyDatabases: Bool = true,
        latencyHistograms: Bool = true,
        keyPatterns: [RedisKeyPattern] = [],
        bullmq: BullMQOptions = BullMQOptions(),
        checkStreams: [RedisKeyArgument] = [],
        checkSingleStreams: [RedisKeyArgument] = [],
        checkKeys: [RedisKeyArgument] = [],
        checkSingleKeys: [RedisKeyArgument] = [],
        checkKeysStringValues: Bool = false,
        maxStreams: Int = 200,
        maxCheckedKeys: Int = 1000,
        exportClientList: Bool = false,
        clientsByName: Bool = true,
        maxClientNames: Int = 50,
        includeConfigMetrics: Bool = false,
        scanInterval: Double = 60,
        scanKeysPerSecond: Double = 20_000,
        scanCount: Int = 1000,
        scanTimePerCycle: Double = 0.5,
        buildVersion: String = "unknown"
    ) {
        self.url = url
        self.tls = tls
        self.username = username
        self.password = password
        self.passwordFile = passwordFile
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoffInitial = reconnectBackoffInitial
        self.reconnectBackoffMax = reconnectBackoffMax
        self.clientName = clientName
        self.configCommand = configCommand
        self.includeEmptyDatabases = includeEmptyDatabases
        self.latencyHistograms = latencyHistograms
        self.keyPatterns = keyPatterns
        self.bullmq = bullmq
        self.checkStreams = checkStreams
        self.checkSingleStreams = checkSingleStreams
        self.checkKeys = checkKeys
        self.checkSingleKeys = checkSingleKeys
        self.checkKeysStringValues = checkKeysStringValues
        self.maxStreams = maxStreams
        self.maxCheckedKeys = maxCheckedKeys
        self.exportClientList = exportClientList
        self.clientsByName = clientsByName
        self.maxClientNames = maxClientNames
        self.includeConfigMetrics = includeConfigMetrics
        self.scanInterval = scanInterval
        self.scanKeysPerSecond = scanKeysPerSecond
        self.scanCount = scanCount
        self.scanTimePerCycle = scanTimePerCycle
        self.buildVersion = buildVersion
    }
}

/// One `(db, pattern)` pair counted with `SCAN MATCH pattern` (Redis glob syntax).
public struct RedisKeyPattern: Sendable, Hashable {
    public var db: Int
    public var pattern: String
    public init(db: Int, pattern: String) {
        self.db = db
        self.pattern = pattern
    }
}

/// BullMQ queues to discover and count.
public struct BullMQOptions: Sendable, Hashable {
    /// Discover and count queues at all.
    public var enabled: Bool
    /// Key prefixes queues live under (BullMQ's `prefix` option; default "bull").
    public var prefixes: [String]
    /// Databases to look in; nil means the database of the URL.
    public var databases: [Int]?
    /// Most queues counted per target (more are ignored and counted in the discovery metric).
    public var maxQueues: Int
    /// Check each discovered queue's events stream (`<prefix>:<queue>:events`) as `redis_stream_*`.
    public var eventsStreams: Bool

    public init(enabled: Bool = true, prefixes: [String] = ["bull"], databases: [Int]? = nil, maxQueues: Int = 500, eventsStreams: Bool = true) {
        self.eventsStreams = eventsStreams
        self.enabled = enabled
        self.prefixes = prefixes
        self.databases = databases
        self.maxQueues = maxQueues
    }
}
