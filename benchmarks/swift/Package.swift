// swift-tools-version:6.0
// Plinth's benchmarks, built in release: `swift run -c release --package-path benchmarks/swift plinth-bench`.
import PackageDescription

let package = Package(
    name: "PlinthBench",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(name: "plinth-bench", dependencies: [.product(name: "Plinth", package: "plinth")],
                          path: "Sources/PlinthBench"),
    ]
)
