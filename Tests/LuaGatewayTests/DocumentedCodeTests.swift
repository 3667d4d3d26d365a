import Foundation
import XCTest
@testable import LuaGateway

/// Every Lua program the docs print (README.md, docs/*.md) runs as printed.
///
/// For whoever writes docs: put an HTML comment (GitHub does not show it) on the line just before
/// the fence of a ```lua block that is a whole program:
///
///     <!-- runnable: app file=counter.lua path=/counter?x=1 status=200 -->
///
/// - `app`: the block is a script. It is saved as `file` (`app.lua` by default; `_middleware.lua`
///   works too) in a directory of its own, served by a real luagw server (`--dev`), and `path`
///   (the script's mount by default) is requested over a socket with `method` (GET) and `body`
///   (none). The answer must have `status` (200) and carry each `header` (comma-separated names).
///   `files=a,b` are made beside it: a `.lua` one is an application that answers its own name,
///   any other holds its own name.
/// - `script`: the block is code that returns no application; it runs in a request (so it may
///   wait on sockets and databases) and must not raise.
/// - `test`: the block is a test file of `luagw test`, saved as `file` (`_tests/app_test.lua` by
///   default) beside its `files`; `luagw test DIR` must pass.
/// - `requires=redis,postgres`: the block runs against a service the test starts, on the luagw
///   process, whose environment then holds `REDIS_HOST` and `REDIS_PORT` (redis-server, with
///   Debian's lua-nginx-redis on `--lua-path`) or `DATABASE_URL` (a PostgreSQL database).
/// - A ```text block right after a runnable block (no other block between) is its answer's body.
/// - Values with spaces are quoted: `body="a b"`.
///
/// A block that is not a whole program (it uses names it does not define, or needs the internet)
/// stays unmarked; one that nevertheless reads like a script (a line starting with `return`, or
/// `return function(environ`) is marked `<!-- fragment -->`, so that no new program slips in
/// untested.
final class DocumentedCodeTests: XCTestCase {
    static let kinds: Set<String> = ["app", "script", "test"]
    static let attributes: Set<String> = ["file", "path", "method", "body", "status", "header", "files", "requires"]

    static let blocks: [DocumentedBlock] = DocumentedPages.all.flatMap { (try? DocumentedPages.blocks(in: $0)) ?? [] }

    static func runnable(requiring requirement: String?) -> [DocumentedBlock] {
        blocks.filter { block in
            guard block.kind != "" else { return false }
            let requirements = block.list("requires")
            return requirement.map(requirements.contains) ?? requirements.isEmpty
        }
    }

    func testEveryBlockThatReadsLikeAScriptIsMarked() {
        XCTAssertGreaterThan(Self.blocks.count, 50, "the pages were read")
        for block in Self.blocks where block.looksLikeAScript && block.marker == .none {
            XCTFail("\(block.place) reads like a script: mark it <!-- runnable: ... --> or <!-- fragment -->")
        }
        for block in Self.blocks where block.marker != .none && block.language != "lua" {
            XCTFail("\(block.place): a marked block is a ```lua one, not ```\(block.language)")
        }
    }

    func testEveryMarkerIsUnderstood() {
        XCTAssertGreaterThanOrEqual(Self.blocks.filter { $0.kind != "" }.count, 25)
        for block in Self.blocks {
            guard case .runnable(let kind, let attributes) = block.marker else { continue }
            XCTAssertTrue(Self.kinds.contains(kind), "\(block.place): no kind \(kind)")
            XCTAssertEqual(Set(attributes.keys).subtracting(Self.attributes), [], "\(block.place): unknown attributes")
            XCTAssertEqual(Set(block.list("requires")).subtracting(["redis", "postgres"]), [], "\(block.place)")
            XCTAssertNotNil(Int(block.attribute("status") ?? "200"), "\(block.place): status is a number")
        }
    }

    func testTheRunnableBlocksRun() throws {
        let blocks = Self.runnable(requiring: nil)
        XCTAssertGreaterThanOrEqual(blocks.count, 20)
        for block in blocks where block.kind != "test" {
            let server = try TestServer(block.servedFiles, development: true)
            try block.check(on: server.client())
        }
        for block in blocks where block.kind == "test" {
            try run(test: block)
        }
    }

    /// Runs `luagw test` on a directory that holds the block and its `files`: it must pass.
    private func run(test block: DocumentedBlock, file: StaticString = #filePath, line: UInt = #line) throws {
        let scratch = try ScratchDirectory("luagw-doc-test")
        defer { scratch.remove() }
        for (path, source) in block.servedFiles { try scratch.write(path, source) }
        let result = try LuagwProcess.run(["test", scratch.path], mergingErrors: true)
        XCTAssertEqual(result.status, 0, "\(block.place): luagw test says \(result.out)", file: file, line: line)
    }

    func testTheRunnableBlocksThatNeedRedis() throws {
        let redis = try PeerServer.redis()
        try run(Self.runnable(requiring: "redis"), environment: ["REDIS_HOST": "127.0.0.1", "REDIS_PORT": "\(redis.port)"],
                arguments: ["--lua-path", try PeerServer.clientLibraryPath()])
    }

    func testTheRunnableBlocksThatNeedPostgreSQL() throws {
        let cluster = try PostgresCluster()
        try run(Self.runnable(requiring: "postgres"), environment: ["DATABASE_URL": cluster.url()])
    }

    /// Runs `blocks` on the luagw process, each in a directory of its own: a block that needs a
    /// service gets it through the process's environment and arguments.
    private func run(_ blocks: [DocumentedBlock], environment: [String: String], arguments: [String] = [],
                     file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertFalse(blocks.isEmpty, "a page has such a block", file: file, line: line)
        for block in blocks {
            let server = try LuagwProcess(block.servedFiles, arguments: ["--dev"] + arguments, environment: environment)
            try block.check(on: server.client(), file: file, line: line)
        }
    }
}
