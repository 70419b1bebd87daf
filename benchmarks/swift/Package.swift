// swift-tools-version:6.0
// Plinth's benchmarks, built in release: `swift run -c release --package-path benchmarks/swift plinth-bench`.
import Foundation
import PackageDescription

// A path dependency is identified by its folder's name, whatever the checkout is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

let package = Package(
    name: "PlinthBench",
    dependencies: [.package(path: root.path)],
    targets: [
        .executableTarget(name: "plinth-bench",
                          dependencies: [.product(name: "Plinth", package: root.lastPathComponent.lowercased())],
                          path: "Sources/PlinthBench"),
    ]
)
