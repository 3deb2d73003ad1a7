// swift-tools-version:6.1
//
// Cordon: restricted-zone geofencing and camera suppression.
//
// Dependencies point inward: Core <- Index <- Engine; Core <- Formats; Engine + Formats + CZlib + CByteScan <- Replay; Core + CGEOS <- GEOS; Core + GRDB <- Store;
// all of them <- Cordon <- Server <- CLI (+ CMalloc). CordonCore depends on the standard library only.

import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Cordon",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cordon", targets: ["CordonCLI"]),
        .executable(name: "vehicle-logger-example", targets: ["VehicleLoggerExample"]),
        .library(name: "Cordon", targets: ["Cordon"]),
        .library(name: "CordonCore", targets: ["CordonCore"]),
        .library(name: "CordonIndex", targets: ["CordonIndex"]),
        .library(name: "CordonEngine", targets: ["CordonEngine"]),
        .library(name: "CordonFormats", targets: ["CordonFormats"]),
        .library(name: "CordonGEOS", targets: ["CordonGEOS"]),
        .library(name: "CordonStore", targets: ["CordonStore"]),
        .library(name: "CordonReplay", targets: ["CordonReplay"]),
        .library(name: "CordonServer", targets: ["CordonServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // MARK: - C
        .systemLibrary(
            name: "CGEOS",
            pkgConfig: "geos",
            providers: [.apt(["libgeos-dev"])]
        ),

        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CByteScan"),

        // MARK: - Libraries
        .target(name: "CordonCore", swiftSettings: strict),
        .target(name: "CordonIndex", dependencies: ["CordonCore"], swiftSettings: strict),
        .target(name: "CordonEngine", dependencies: ["CordonCore", "CordonIndex"], swiftSettings: strict),
        .target(name: "CordonFormats", dependencies: ["CordonCore"], swiftSettings: strict),
        .target(
            name: "CordonReplay",
            dependencies: ["CordonCore", "CordonIndex", "CordonEngine", "CordonFormats", "CZlib", "CByteScan"],
            swiftSettings: strict
        ),
        .target(name: "CordonGEOS", dependencies: ["CordonCore", "CGEOS"], swiftSettings: strict),
        .target(
            name: "CordonStore",
            dependencies: [
                "CordonCore", "CordonFormats", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Cordon",
            dependencies: [
                "CordonCore", "CordonIndex", "CordonEngine", "CordonFormats", "CordonGEOS", "CordonStore", "CordonReplay", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CordonServer",
            dependencies: [
                "Cordon",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "CordonCLI",
            dependencies: [
                "Cordon", "CordonGEOS", "CordonServer", "CMalloc", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "VehicleLoggerExample",
            dependencies: ["Cordon"],
            path: "Examples/VehicleLogger",
            swiftSettings: strict
        ),
        .target(
            name: "CordonTestSupport",
            dependencies: ["CordonCore", "CordonFormats"],
            swiftSettings: strict
        ),

        // MARK: - Tests
        .testTarget(name: "CordonCoreTests", dependencies: ["CordonCore", "CordonTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "CordonIndexTests", dependencies: ["CordonIndex", "CordonTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "CordonEngineTests",
            dependencies: [
                "CordonEngine", "CordonFormats", "CordonGEOS", "CordonTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CordonOracleTests",
            dependencies: [
                "CordonIndex", "CordonGEOS", "CordonTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CordonFormatsTests",
            dependencies: ["CordonFormats", "CordonTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CordonGEOSTests",
            dependencies: ["CordonGEOS", "CordonFormats", "CordonTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CordonStoreTests",
            dependencies: ["CordonStore", "CordonTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "CordonTests", dependencies: ["Cordon", "CordonTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "CordonReplayTests",
            dependencies: ["CordonReplay", "Cordon", "CordonTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CordonServerTests",
            dependencies: [
                "CordonServer", "Cordon", "CordonTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CordonCLITests",
            dependencies: ["CordonCLI", "Cordon", "CordonTestSupport"],
            swiftSettings: strict
        ),
    ]
)
