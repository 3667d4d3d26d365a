import Foundation

/// The WSAPI applications of Tests/WSAPI/apps: real Lua files that luagw, Debian's wsapi.mock
/// and uWSGI's Lua plugin all run, for the differential tests.
enum WSAPIApps {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("WSAPI")

    /// The file of application `name`.
    static func file(_ name: String) -> URL { folder.appendingPathComponent("apps/\(name).lua") }

    /// Scripts for a TestServer: each application at /NAME.
    static func scripts(_ names: [String]) throws -> [String: String] {
        var scripts: [String: String] = [:]
        for name in names { scripts["\(name).lua"] = try String(contentsOf: file(name), encoding: .utf8) }
        return scripts
    }

    static let boundary = "luagw-wsapi-boundary"

    /// A form with a field and a 12-byte file.
    static let multipartBody = [
        "--\(boundary)", #"Content-Disposition: form-data; name="title""#, "", "My notes",
        "--\(boundary)", #"Content-Disposition: form-data; name="notes"; filename="notes.txt""#, "Content-Type: text/plain",
        "", "hello, file!", "--\(boundary)--", "",
    ].joined(separator: "\r\n")
}
