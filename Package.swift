// swift-tools-version:6.0
// Plinth: a multimodal foundation model suite. Targets follow DESIGN.md section 2;
// each depends only on targets above it in this list.
import PackageDescription

let package = Package(
    name: "Plinth",
    products: [
        .library(name: "Plinth", targets: ["Plinth"]),
        .executable(name: "plinth", targets: ["plinth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),  // tests stop servers gracefully
    ],
    targets: [
        // System libraries, installed by scripts/setup.sh.
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),  // loaded at run time (BLAS.swift)
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

        // SIMD kernels in C, dispatched at load time by CPU features (no build flags).
        .target(name: "PlinthKernels"),
        // libpng/libjpeg decoding with their fatal errors (longjmp) caught in C and returned as codes.
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),
        .target(name: "PlinthTensor", dependencies: ["CBLAS", "PlinthKernels"]),
        .target(name: "PlinthNN", dependencies: ["PlinthTensor"]),
        // Data-parallel runs over Open MPI: rank, size, barrier, broadcast, all-reduce, all-gather.
        .target(name: "PlinthDistributed", dependencies: ["CMPI", "PlinthTensor"]),
        .target(name: "PlinthModalities", dependencies: [
            "PlinthTensor", "CPNG", "CImageCodecs", "CSndfile", .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "PlinthModels", dependencies: ["PlinthNN"]),
        .target(name: "PlinthObjectives", dependencies: ["PlinthModels"]),
        .target(name: "PlinthAdapters", dependencies: ["PlinthModalities", "PlinthModels", "PlinthObjectives"]),
        .target(name: "PlinthData", dependencies: ["PlinthNN", "PlinthModalities"]),
        .target(name: "PlinthRecipes", dependencies: [
            "PlinthModels", "PlinthObjectives", "PlinthAdapters", "PlinthData", "PlinthDistributed",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "Plinth", dependencies: [
            "PlinthTensor", "PlinthNN", "PlinthModalities", "PlinthModels", "PlinthObjectives", "PlinthAdapters", "PlinthData", "PlinthDistributed", "PlinthRecipes",
        ]),
        // The web demo's server; outside the umbrella, so `import Plinth` does not build SwiftNIO.
        .target(name: "PlinthServer", dependencies: ["PlinthRecipes", .product(name: "Hummingbird", package: "hummingbird")]),
        .executableTarget(name: "plinth", dependencies: [
            "Plinth",
            "PlinthServer",
            .product(name: "Hummingbird", package: "hummingbird"),
            "PlinthKernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "PlinthTestSupport", dependencies: ["PlinthTensor", "PlinthNN"], path: "Tests/PlinthTestSupport"),
        .testTarget(name: "PlinthTensorTests", dependencies: ["PlinthTensor", "PlinthTestSupport"]),
        .testTarget(name: "PlinthNNTests", dependencies: ["PlinthNN", "PlinthTestSupport"]),
        .testTarget(name: "PlinthModalitiesTests", dependencies: ["PlinthModalities", "PlinthTestSupport"]),
        .testTarget(name: "PlinthModelsTests", dependencies: [
            "PlinthObjectives",
            "PlinthModels", "PlinthTestSupport", .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "PlinthObjectivesTests", dependencies: ["PlinthObjectives", "PlinthTestSupport"]),
        .testTarget(name: "PlinthAdaptersTests", dependencies: ["PlinthAdapters", "PlinthTestSupport"]),
        .testTarget(name: "PlinthDataTests", dependencies: ["PlinthData"]),
        .testTarget(name: "PlinthRecipesTests", dependencies: ["PlinthRecipes", "PlinthTestSupport"]),
        .testTarget(name: "PlinthServerTests", dependencies: [
            "PlinthServer", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "PlinthDistributedTests", dependencies: ["PlinthDistributed"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["PlinthTensor", "CPNG", "CJPEG", "CSndfile"]),
    ]
)
