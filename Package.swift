// swift-tools-version:6.1
//
// Cordon: restricted-zone geofencing and camera suppression.
//
// Dependencies point inward: Core <- Index <- Engine; Core <- Formats; Engine + Formats + CZlib <- Replay; Core + CGEOS <- GEOS; Core + GRDB <- Store;
// all of them <- Cordon <- CLI. CordonCore depends on the standard library only.

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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
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

        // MARK: - Libraries
        .target(name: "CordonCore", swiftSettings: strict),
        .target(name: "CordonIndex", dependencies: ["CordonCore"], swiftSettings: strict),
        .target(name: "CordonEngine", dependencies: ["CordonCore", "CordonIndex"], swiftSettings: strict),
        .target(name: "CordonFormats", dependencies: ["CordonCore"], swiftSettings: strict),
        .target(
            name: "CordonReplay",
            dependencies: ["CordonCore", "CordonIndex", "CordonEngine", "CordonFormats", "CZlib"],
            swiftSettings: strict
        ),
        .target(name: "CordonGEOS", dependencies: ["CordonCore", "CGEOS"], swiftSettings: strict),
        .target(
            name: "CordonStore",
            dependencies: ["CordonCore", "CordonFormats", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(
            name: "Cordon",
            dependencies: [
                "CordonCore", "CordonIndex", "CordonEngine", "CordonFormats", "CordonGEOS", "CordonStore", "CordonReplay",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "CordonCLI",
            dependencies: ["Cordon", "CordonGEOS", .product(name: "ArgumentParser", package: "swift-argument-parser")],
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
            name: "CordonCLITests",
            dependencies: ["CordonCLI", "Cordon", "CordonTestSupport"],
            swiftSettings: strict
        ),
    ]
)
