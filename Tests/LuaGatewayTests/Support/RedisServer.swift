import Foundation
import XCTest

/// Debian's redis-server on a loopback port of its own, started by a test and stopped with it
/// (scripts/test installs it).
final class RedisServer {
    let port: Int
    private let process = Process()

    init() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") else {
            throw XCTSkip("redis-server is not installed: run scripts/test")
        }
        port = Int.random(in: 41000..<51000)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        waitUntil("redis-server accepting on \(port)") { (try? RawClient(port: port)) != nil }
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    /// Where Debian's lua-nginx-redis was unpacked (`nginx/redis.lua` below it).
    static func clientLibraryPath() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["LUAGW_PEER_LUA"],
              FileManager.default.fileExists(atPath: path + "/nginx/redis.lua") else {
            throw XCTSkip("lua-nginx-redis is not unpacked: run scripts/test")
        }
        return path
    }
}
