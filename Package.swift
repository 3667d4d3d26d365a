// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "luagw",
    products: [
        .executable(name: "luagw", targets: ["luagw"]),
        .library(name: "LuaGateway", targets: ["LuaGateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Lua 5.4 as the system has it (Debian: liblua5.4-dev), found through pkg-config.
        .systemLibrary(
            name: "CLuaGatewayLua54",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // The C side of the bridge: everything that may raise or yield on Lua's behalf, and
        // luagw.web.gzip's compression (the system's zlib, Debian: zlib1g-dev), and luagw.sqlite's
        // connections (the system's libsqlite3, Debian: libsqlite3-dev; docs/databases.md says why
        // not sqlite-nio), and luagw.ngx.re's patterns (the system's PCRE2, Debian: libpcre2-dev).
        .target(name: "CLuaGatewayBridge", dependencies: ["CLuaGatewayLua54"],
                linkerSettings: [.linkedLibrary("z"), .linkedLibrary("sqlite3"), .linkedLibrary("pcre2-8")]),
        .target(
            name: "LuaGateway",
            dependencies: [
                "CLuaGatewayBridge",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            // The Lua half of luagw, one module a file, compiled into the binary.
            resources: [.embedInCode("LuaModules")]
        ),
        .executableTarget(
            name: "luagw",
            dependencies: [
                "LuaGateway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // What `luagw new` writes, one file each.
            resources: [.embedInCode("Templates")]
        ),
        .testTarget(
            name: "LuaGatewayTests",
            dependencies: [
                "LuaGateway",
                "CLuaGatewayBridge",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
