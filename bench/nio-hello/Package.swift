// swift-tools-version:6.0
// The ceiling of the benchmark: a bare SwiftNIO HTTP/1.1 server that answers every
// request with a fixed body, with NIOHTTP1's own pipeline. Built by bench/run.
import PackageDescription

let package = Package(
    name: "nio-hello",
    dependencies: [.package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2")],
    targets: [
        .executableTarget(name: "nio-hello", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
