// swift-tools-version:6.1
// Cordon's benchmarks: a separate package so the main build never pulls in the harness.
// Run with `swift package benchmark` here, or `make bench` at the repository root.
import PackageDescription

let package = Package(
    name: "CordonBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Cordon", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ImportBenchmark",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Cordon", package: "Cordon"),
            ],
            path: "Benchmarks/ImportBenchmark",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "IndexBenchmark",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Cordon", package: "Cordon"),
                .product(name: "CordonGEOS", package: "Cordon"),
            ],
            path: "Benchmarks/IndexBenchmark",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EngineBenchmark",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Cordon", package: "Cordon"),
            ],
            path: "Benchmarks/EngineBenchmark",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
