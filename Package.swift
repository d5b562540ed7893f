// swift-tools-version:6.2
import PackageDescription

// Strict, explicit code everywhere: Swift 6 language mode (complete concurrency checking) plus the
// upcoming features that make dependencies and existentials visible at the use site.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "accord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "accord", targets: ["accord"]),
        .executable(name: "accord-bench", targets: ["accord-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // The system C libraries: Debian's libsqlite3-dev and libpq-dev.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // Exact time: instants in microseconds, calendar dates. Shared by the domain and the store.
        .target(
            name: "AccordTime",
            swiftSettings: strict
        ),

        // The pure domain core: no I/O, no database, no HTTP.
        .target(
            name: "AccordDomain",
            dependencies: ["AccordTime"],
            swiftSettings: strict
        ),

        // The SQL migrations per engine, embedded in the binary. File names must be unique across the target.
        .target(
            name: "AccordSchema",
            path: "schema",
            sources: ["AccordSchema.swift"],
            resources: [.embedInCode("sqlite"), .embedInCode("postgres"), .embedInCode("templates"), .embedInCode("reference"), .embedInCode("openapi.json"), .embedInCode("template.schema.json")],
            swiftSettings: strict
        ),

        // The append-only, hash-chained event log on SQLite and PostgreSQL.
        .target(
            name: "AccordEventStore",
            dependencies: [
                "AccordTime",
                "AccordSchema",
                "CSQLite",
                "CLibPQ",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The application core around the domain: commands, queries, accounts, read models, reference data.
        .target(
            name: "AccordService",
            dependencies: [
                "AccordDomain",
                "AccordEventStore",
                "AccordSchema",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),

        // The HTTP adapter: the versioned JSON API, problem details, authentication, operations endpoints.
        .target(
            name: "AccordHTTP",
            dependencies: [
                "AccordDomain",
                "AccordEventStore",
                "AccordService",
                "AccordSchema",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Quorum notifications: the notifier projection (outbox), durable deadline timers, signed webhooks,
        // Server-Sent Events and the leadership that lets several instances share one PostgreSQL database.
        .target(
            name: "AccordNotifications",
            dependencies: [
                "AccordDomain",
                "AccordEventStore",
                "AccordService",
                "AccordHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Audit trails: streamed exports, signed checkpoints, offline verification, redaction, HTML reports.
        .target(
            name: "AccordAudit",
            dependencies: [
                "AccordDomain",
                "AccordEventStore",
                "AccordService",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["HTTP"],
            swiftSettings: strict
        ),
        // The audit API routes, installed into the server through `extraRoutes`.
        .target(
            name: "AccordAuditHTTP",
            dependencies: [
                "AccordAudit",
                "AccordDomain",
                "AccordEventStore",
                "AccordService",
                "AccordHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/AccordAudit/HTTP",
            swiftSettings: strict
        ),

        // The secretariat's web page: server-rendered HTML (Mustache), sessions with CSRF protection, live updates.
        .target(
            name: "AccordWeb",
            dependencies: [
                "AccordDomain",
                "AccordEventStore",
                "AccordService",
                "AccordHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("Templates"), .embedInCode("Assets")],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "accord",
            dependencies: [
                "AccordDomain",
                "AccordEventStore",
                "AccordService",
                "AccordHTTP",
                "AccordNotifications",
                "AccordAudit",
                "AccordAuditHTTP",
                "AccordWeb",
                "AccordTime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "accord-bench",
            dependencies: [
                "AccordEventStore",
                "AccordTime",
                "AccordDomain",
                "AccordService",
                "AccordAudit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // Fresh databases of either engine for the test targets.
        .target(
            name: "AccordTestSupport",
            dependencies: ["AccordEventStore", "AccordTime"],
            swiftSettings: strict
        ),

        .testTarget(
            name: "AccordDomainTests",
            dependencies: [
                "AccordDomain",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AccordServiceTests",
            dependencies: ["AccordService", "AccordDomain", "AccordEventStore", "AccordTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AccordHTTPTests",
            dependencies: [
                "AccordHTTP", "AccordService", "AccordDomain", "AccordEventStore", "AccordSchema", "AccordTestSupport",
                "AccordAudit", "AccordAuditHTTP", "AccordNotifications",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The secretariat's CLI and the operations commands, run as child processes against a real `accord serve`.
        .testTarget(
            name: "AccordCLITests",
            dependencies: [
                "accord", "AccordService", "AccordDomain", "AccordHTTP", "AccordEventStore", "AccordTestSupport", "CSQLite",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AccordNotificationsTests",
            dependencies: [
                "AccordNotifications", "AccordHTTP", "AccordService", "AccordDomain", "AccordEventStore", "AccordTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AccordAuditTests",
            dependencies: [
                "AccordAudit", "AccordAuditHTTP", "AccordHTTP", "AccordService", "AccordDomain", "AccordEventStore", "AccordTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AccordWebTests",
            dependencies: [
                "AccordWeb", "AccordHTTP", "AccordService", "AccordDomain", "AccordEventStore", "AccordTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AccordEventStoreTests",
            dependencies: ["AccordEventStore", "AccordSchema", "AccordTime", "AccordTestSupport"],
            swiftSettings: strict
        ),
    ]
)
