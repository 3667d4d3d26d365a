import ArgumentParser
import Foundation

/// `luagw new DIR`: a small project that `luagw serve DIR` runs at once and `luagw test DIR` tests.
struct NewProject: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Write a small project into a new directory: an application with luagw.web.router, public/index.html, a _middleware.lua and a test."
    )

    @Argument(help: "The directory to make (it must not exist, or be empty).")
    var directory: String

    /// The files of the project (Sources/luagw/Templates), by path in it.
    static let files: [(path: String, contents: [UInt8])] = [
        ("api.lua", PackageResources.api_lua),
        ("_middleware.lua", PackageResources._middleware_lua),
        ("public/index.html", PackageResources.index_html),
        ("_tests/api_test.lua", PackageResources.api_test_lua),
    ]

    func run() throws {
        let root = URL(fileURLWithPath: directory)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: root.path) {
            guard existing.isEmpty else {
                throw Refusal(reason: "\(directory) exists and is not empty: luagw new writes only into a new or empty directory")
            }
        } else if FileManager.default.fileExists(atPath: root.path) {
            throw Refusal(reason: "\(directory) exists and is not a directory")
        }
        print("Wrote:")
        for file in Self.files {
            let url = root.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents).write(to: url, options: .withoutOverwriting)
            print("  \(root.appendingPathComponent(file.path).relativePath)")
        }
        print("""
            Next:
              luagw serve \(directory)    # then open http://127.0.0.1:8080/
              luagw test \(directory)
            """)
    }
}

/// Why `luagw new` wrote nothing: said as it is (exit status 1), without the usage.
struct Refusal: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
