// swift-tools-version:6.1
import PackageDescription

// Strictness is set once for every Swift target.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["Vigil"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    ],
    targets: [
        // C libraries: each is imported by exactly one Swift target.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libxcrypt's crypt_r (bcrypt for basic auth); imported only by HTTPServer's BasicAuth.
        .systemLibrary(name: "CCrypt"),
        // glibc's mallopt (malloc.h); imported only by Vigil's MemoryFootprint.
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // RE2 (Go's regexp syntax, linear time) behind a C interface; imported only by Rules' AnchoredRegex.
        .target(name: "CRE2", linkerSettings: [.linkedLibrary("re2")]),
        // snappy's C API (block format); imported only by RemoteWrite's Snappy.
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        // OpenSSL for TLS connections Vigil makes itself (Redis over TLS); imported only by TLSStream.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // The git commit, stamped into the linked binary's `vigil_commit` section by
        // scripts/build-release and scripts/test (objcopy); "unknown" in a plain `swift build`.
        .target(name: "CBuildInfo"),
        .target(name: "TLSStream", dependencies: ["COpenSSL", "VigilCore"], swiftSettings: strict),

        .target(
            name: "VigilCore",
            dependencies: [
                "CZlib",
                "CBuildInfo",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PostgresCollector",
            dependencies: ["VigilCore", "CLibPQ", .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "RedisCollector",
            dependencies: ["VigilCore", "CHiredis", "TLSStream", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "HTTPServer",
            dependencies: ["CMicroHTTPD", "CCrypt"],
            swiftSettings: strict
        ),
        .target(
            name: "HTTPClient",
            dependencies: ["CCurl", "VigilCore"],
            swiftSettings: strict
        ),
        .target(
            name: "Rules",
            dependencies: ["VigilCore", "CRE2", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "Notify",
            dependencies: ["Rules", "VigilCore", "HTTPClient", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Application metrics: scrape_configs (Scrape/), probes (Probes/), backups (Backups/).
        .target(
            name: "AppCollector",
            dependencies: ["VigilCore", "HTTPClient", "Rules", .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // remote_write: protobuf WriteRequest by hand, snappy, bounded queue, sender thread.
        .target(
            name: "RemoteWrite",
            dependencies: ["VigilCore", "HTTPClient", "AppCollector", "CSnappy", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "Vigil",
            dependencies: [
                "VigilCore", "PostgresCollector", "RedisCollector", "HTTPServer", "HTTPClient", "Rules", "Notify", "AppCollector", "RemoteWrite",
                .target(name: "CMalloc", condition: .when(platforms: [.linux])),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Test helpers shared by the test targets (environment, subprocesses, silent listeners, HTTP client).
        .target(name: "VigilTestSupport", path: "Tests/VigilTestSupport", resources: [.copy("Resources")], swiftSettings: strict),
        // Benchmark of the rule engine for scripts/bench-rules; not a shipped product.
        .executableTarget(
            name: "VigilBenchRules",
            dependencies: ["Rules", "VigilCore"],
            path: "Benchmarks/VigilBenchRules",
            swiftSettings: strict
        ),
        // Benchmark of SnapshotStore's rendering (before/after fragment caching); not a shipped product.
        .executableTarget(
            name: "VigilBenchRender",
            dependencies: ["VigilCore"],
            path: "Benchmarks/VigilBenchRender",
            swiftSettings: strict
        ),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore", "VigilTestSupport"], swiftSettings: strict),
        .testTarget(name: "PostgresCollectorTests", dependencies: ["VigilTestSupport", "PostgresCollector", "VigilCore"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(
            name: "RedisCollectorTests",
            dependencies: ["VigilTestSupport", "RedisCollector", "VigilCore", "TLSStream"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "VigilTestSupport"], swiftSettings: strict),
        .testTarget(name: "AppCollectorTests", dependencies: ["AppCollector", "VigilCore", "HTTPClient", "Rules", "VigilTestSupport", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "VigilCore", "VigilTestSupport"], swiftSettings: strict),
        .testTarget(name: "NotifyTests", dependencies: ["Notify", "Rules", "VigilCore", "HTTPClient", "VigilTestSupport"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(
            name: "RulesTests",
            dependencies: ["Rules", "VigilCore", "VigilTestSupport", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "RemoteWriteTests", dependencies: ["RemoteWrite", "VigilCore", "HTTPClient", "VigilTestSupport", .product(name: "Logging", package: "swift-log")], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(
            name: "VigilTests",
            dependencies: ["VigilTestSupport", "Vigil", "VigilCore", "Rules", "Notify", "HTTPServer", "PostgresCollector", "RedisCollector", "RemoteWrite"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
    ],
    cxxLanguageStandard: .cxx17
)
