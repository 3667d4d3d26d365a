import Foundation
import XCTest

/// llhttp's request-parser vectors sent as raw bytes to a running luagw (issue 8): a valid request
/// reaches the application with the method, target, headers and body llhttp reports (mapped as
/// SPEC 2 says); an invalid one gets a 4xx or 5xx, never reaches Lua, and nothing after it is served.
/// Where luagw differs from llhttp on purpose, `Differences` says so with the RFC clause.
final class ConformanceTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Conformance/llhttp")

    /// An application that answers with what it received, in a form the test compares byte for byte.
    static let echo = """
    return function(environ, start_response)
      local body = environ["wsgi.input"]:read()
      local keys = {}
      for k in pairs(environ) do
        if type(k) == "string" and (k:sub(1, 5) == "HTTP_" or k:sub(1, 8) == "CONTENT_") then keys[#keys + 1] = k end
      end
      table.sort(keys)
      local out = { "M " .. environ.REQUEST_METHOD, "U " .. environ.REQUEST_URI }
      for _, k in ipairs(keys) do out[#out + 1] = "H " .. k .. "=" .. environ[k] end
      out[#out + 1] = "B " .. body
      start_response("200 OK", { { "X-Echo", "1" } })
      return table.concat(out, "\\n")
    end
    """

    func testLLHTTPVectors() throws {
        let vectors = try LLHTTPVector.load(from: Self.folder)
        XCTAssertGreaterThan(vectors.count, 130, "the vectors were not all read")
        let server = try TestServer(["index.lua": Self.echo])
        var applied = 0, passed = 0
        var skipped: [(String, String)] = []
        for vector in vectors {
            if let reason = Self.skipReason(vector) {
                skipped.append((vector.name, reason))
                continue
            }
            applied += 1
            let expected = Differences.expectation(for: vector)
            let outcome = try Self.send(vector, to: server)
            if let problem = expected.mismatch(outcome) {
                XCTFail("\(vector.name): \(problem)")
            } else {
                passed += 1
            }
        }
        print("llhttp vectors: \(vectors.count) read, \(applied) apply, \(passed) pass, \(skipped.count) skipped "
              + "(\(Differences.all.count) differences by design)")
        for (name, reason) in skipped { print("  skipped \(name): \(reason)") }
        XCTAssertEqual(applied, passed)
        let titles = Set(vectors.map(\.name))
        for difference in Differences.all { XCTAssertTrue(titles.contains(difference.title), "no vector \(difference.title)") }
        XCTAssertEqual(applied + skipped.count, vectors.count)
    }

    /// Vectors that do not apply to a strict server.
    static func skipReason(_ vector: LLHTTPVector) -> String? {
        if vector.type.hasPrefix("request-lenient") {
            return "exercises llhttp's opt-in lenient flag \(vector.type.dropFirst(16)); luagw is strict"
        }
        if !vector.type.hasPrefix("request") { return "not a request vector" }
        if vector.skipsBody { return "llhttp is told the message has no body, which only a client reading a response to HEAD is" }
        return nil
    }

    /// Sends the vector's bytes (with a Host field where an HTTP/1.1 message has none, since
    /// luagw refuses those, RFC 9112 §3.2) and reads every response until the server closes.
    static func send(_ vector: LLHTTPVector, to server: TestServer) throws -> [Response] {
        var bytes = vector.raw
        for line in vector.requestLines.reversed() where line.isHTTP11 && !line.hasHost {
            guard let end = line.end, end >= 2, end <= bytes.count, bytes[end - 2] == 13, bytes[end - 1] == 10 else { continue }
            bytes.insert(contentsOf: Array("Host: vectors.test\r\n".utf8), at: end)
        }
        let client = try RawClient(port: server.port, timeout: 30)
        try client.send(bytes)
        client.shutdownWrite()
        var responses: [Response] = []
        while true {
            do {
                let isHead = responses.count < vector.messages.count && vector.messages[responses.count].isHead
                responses.append(try client.readResponse(bodyless: isHead))
            } catch ClientError.closedEarly {
                return responses
            }
        }
    }
}

/// What luagw should answer to a vector.
struct ConformanceExpectation {
    enum Then {
        /// Nothing more.
        case end
        /// One answer from the server itself (4xx or 5xx), then nothing.
        case refusal
        /// A refusal with this status code, then nothing.
        case refusalWith(Int)
        /// Whatever the server answers, so long as no application runs again.
        case noApplication
    }

    var served: [LLHTTPVector.Message]
    var then: Then

    func mismatch(_ responses: [Response]) -> String? {
        let fromApplication = responses.prefix { $0.header("X-Echo") == "1" }
        guard fromApplication.count == served.count else {
            return "\(fromApplication.count) requests reached the application, \(served.count) expected; statuses "
                + responses.map { "\($0.code)" }.joined(separator: ",")
        }
        for (response, message) in zip(fromApplication, served) where !message.isHead && response.body != Self.dump(of: message) {
            return "the application saw\n\(response.text)\n--- expected\n\(String(decoding: Self.dump(of: message), as: UTF8.self))"
        }
        let rest = responses.dropFirst(served.count)
        switch then {
        case .end:
            if !rest.isEmpty { return "unexpected answers after the requests: \(rest.map(\.statusLine))" }
        case .refusal, .refusalWith:
            guard rest.count == 1, let refusal = rest.first, refusal.header("X-Echo") == nil, (400..<600).contains(refusal.code) else {
                return "expected one 4xx/5xx from the server, got \(rest.map(\.statusLine))"
            }
            if case .refusalWith(let code) = then, refusal.code != code { return "expected \(code), got \(refusal.statusLine)" }
        case .noApplication:
            if rest.contains(where: { $0.header("X-Echo") != nil }) { return "the application ran after the refused part" }
        }
        return nil
    }

    /// What the echo application answers for `message` (SPEC 2's mapping of fields to environ).
    static func dump(of message: LLHTTPVector.Message) -> [UInt8] {
        var environ: [String: [UInt8]] = [:]
        let fields = message.fields + (message.isHTTP11 && !message.fields.contains { lower($0.name) == "host" }
            ? [(Array("Host".utf8), Array("vectors.test".utf8))] : [])
        for (name, value) in fields where !name.contains(UInt8(ascii: "_")) {
            let lowered = lower(name)
            let key = lowered == "content-type" ? "CONTENT_TYPE" : lowered == "content-length" ? "CONTENT_LENGTH"
                : "HTTP_" + lowered.uppercased().replacingOccurrences(of: "-", with: "_")
            let trimmed = Array(value.drop { $0 == 32 || $0 == 9 }.reversed().drop { $0 == 32 || $0 == 9 }.reversed())
            if let earlier = environ[key], key.hasPrefix("HTTP_") {
                environ[key] = earlier + Array((key == "HTTP_COOKIE" ? "; " : ", ").utf8) + trimmed
            } else {
                environ[key] = trimmed
            }
        }
        var out = Array("M ".utf8) + message.method + Array("\nU ".utf8) + message.url.prefix { $0 != UInt8(ascii: "#") }
        for key in environ.keys.sorted() { out += Array("\nH \(key)=".utf8) + environ[key]! }
        return out + Array("\nB ".utf8) + message.body
    }

    private static func lower(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self).lowercased() }
}
