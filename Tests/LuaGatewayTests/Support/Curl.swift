import Foundation

/// The curl command (built with nghttp2: `curl -V` lists HTTP2), run to its end: what it
/// printed on standard output and on standard error (`-v`'s trace), and its exit status.
struct Curl {
    let out: String
    let errors: String
    let status: Int32

    /// Runs `curl -s --max-time 60 ARGUMENTS`.
    static func run(_ arguments: [String]) throws -> Curl {
        let scratch = try ScratchDirectory("luagw-curl")
        defer { scratch.remove() }
        // Standard error goes to a file, so that neither pipe can fill while the other is read.
        let trace = scratch.url.appendingPathComponent("trace")
        try Data().write(to: trace)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "60"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: trace)
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Curl(out: String(decoding: out, as: UTF8.self), errors: (try? String(contentsOf: trace, encoding: .utf8)) ?? "",
                    status: process.terminationStatus)
    }
}
