// swift-tools-version:6.0
// A user's package that depends on Plinth. scripts/test.sh sets PLINTH_GIT_URL
// to a tagged snapshot so the dependency is resolved by version; without it the
// local checkout is used.
import Foundation
import PackageDescription

let gitURL = ProcessInfo.processInfo.environment["PLINTH_GIT_URL"]
let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
let plinth: Package.Dependency = gitURL.map { .package(url: $0, from: "0.1.0") } ?? .package(path: checkout.path)
// SwiftPM names a dependency after the last component of its URL or path.
let plinthIdentity = (gitURL.map { URL(fileURLWithPath: $0) } ?? checkout).lastPathComponent.lowercased()

let package = Package(
    name: "TwoLayer",
    dependencies: [plinth],
    targets: [
        .executableTarget(name: "TwoLayer", dependencies: [.product(name: "Plinth", package: plinthIdentity)]),
        .executableTarget(name: "Retrieval", dependencies: [.product(name: "Plinth", package: plinthIdentity)]),
    ]
)
