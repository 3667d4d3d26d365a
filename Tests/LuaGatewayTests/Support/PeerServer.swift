import Foundation
import XCTest
@testable import LuaGateway

/// A server from Debian's packages (redis-server, memcached, dnsmasq) on a loopback port of its own,
/// started by a test and stopped with it (scripts/test installs them).
final class PeerServer {
    let port: Int
    private let process: Process

    private init(executable: String, arguments: @escaping (Int) -> [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw XCTSkip("\(executable) is not installed: run scripts/test")
        }
        (process, port) = try startListening(executable, discardingOutput: true, arguments: arguments)
    }

    static func redis() throws -> PeerServer {
        try redis(adding: [])
    }

    /// redis-server replicating `master`. The copy a replica receives is written as dump.rdb in
    /// its directory, `scratch` here: a redis-server started later in the same directory would load it.
    static func redisReplica(of master: PeerServer, in scratch: ScratchDirectory) throws -> PeerServer {
        try redis(adding: ["--replicaof", "127.0.0.1", "\(master.port)", "--dir", scratch.path])
    }

    private static func redis(adding arguments: [String]) throws -> PeerServer {
        try PeerServer(executable: "/usr/bin/redis-server") {
            ["--port", "\($0)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"] + arguments
        }
    }

    /// redis-server speaking TLS only (Debian builds it with TLS), serving `files`; clients are
    /// not asked for a certificate.
    static func redisTLS(_ files: TLSFiles, authority: String) throws -> PeerServer {
        try PeerServer(executable: "/usr/bin/redis-server") {
            ["--port", "0", "--tls-port", "\($0)", "--bind", "127.0.0.1", "--tls-cert-file", files.certificate,
             "--tls-key-file", files.key, "--tls-ca-cert-file", authority, "--tls-auth-clients", "no",
             "--save", "", "--appendonly", "no"]
        }
    }

    /// A Redis Sentinel watching `master` as `name` (quorum 1): redis-server in sentinel mode,
    /// as Debian's redis-sentinel runs it, its configuration (which it rewrites) in `scratch`.
    static func sentinel(watching master: PeerServer, as name: String, in scratch: ScratchDirectory) throws -> PeerServer {
        let configuration = try scratch.write("sentinel.conf", "sentinel monitor \(name) 127.0.0.1 \(master.port) 1\n").path
        return try PeerServer(executable: "/usr/bin/redis-server") {
            [configuration, "--sentinel", "--port", "\($0)", "--bind", "127.0.0.1"]
        }
    }

    static func memcached() throws -> PeerServer {
        try PeerServer(executable: "/usr/bin/memcached") { ["-p", "\($0)", "-l", "127.0.0.1", "-U", "0", "-u", "nobody"] }
    }

    /// dnsmasq (Debian's dnsmasq-base) answering on UDP and TCP from `records` (its options:
    /// `--host-record=...`, `--txt-record=...`) and nothing else: no upstream servers, no
    /// /etc/hosts; names under `.test` it does not know are answered "no such name".
    static func dnsmasq(records: [String]) throws -> PeerServer {
        try PeerServer(executable: "/usr/sbin/dnsmasq") {
            ["--keep-in-foreground", "--port=\($0)", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
             "--no-hosts", "--conf-file=/dev/null", "--pid-file", "--local=/test/"] + records
        }
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    /// The first lines of an application that runs OpenResty's `client` (`redis`, `memcached`)
    /// through luagw.ngx: its path, then `local CLIENT = require "nginx.CLIENT"` (`module`, when
    /// given, is required instead: `nginx.redis.connector`).
    static func openRestyClientPrelude(_ client: String, module: String? = nil) throws -> String {
        let library = try clientLibraryPath()
        return """
        package.path = "\(library)/?.lua;" .. package.path
        require "luagw.ngx"
        local \(client) = require "\(module ?? "nginx." + client)"
        """
    }

    /// Where Debian's lua-nginx-redis and lua-nginx-memcached were unpacked (`nginx/*.lua` below it).
    static func clientLibraryPath() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["LUAGW_PEER_LUA"],
              FileManager.default.fileExists(atPath: path + "/nginx/redis.lua") else {
            throw XCTSkip("lua-nginx-redis is not unpacked: run scripts/test")
        }
        return path
    }
}
