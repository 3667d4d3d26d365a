// swift-tools-version:6.0
// The load client of bench/websocket: WebSocket connections on SwiftNIO's NIOWebSocket, one
// event loop. Built by bench/websocket.
import PackageDescription

let package = Package(
    name: "ws-load",
    dependencies: [.package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2")],
    targets: [
        .executableTarget(name: "ws-load", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
