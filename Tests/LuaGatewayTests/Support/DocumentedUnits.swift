import Foundation
import XCTest

/// The systemd units of docs/deploy as written: luagw@.service's `ExecStart` line and
/// luagw.socket's settings, with only the served directory and the socket's path replaced.
enum DocumentedUnits {
    /// The `ExecStart` arguments after the program, serving `directory` on `socket`.
    static func execStart(directory: String, socket: String) throws -> [String] {
        let line = try XCTUnwrap(try setting("ExecStart", of: "luagw@.service"))
        var words = line.split(separator: " ").map(String.init)
        XCTAssertEqual(words.removeFirst(), "/usr/local/bin/luagw")
        return words.map { $0 == "/srv/app" ? directory : $0.replacingOccurrences(of: DocumentedNginx.documentedSocket, with: socket) }
    }

    /// The value of `name=` in the unit file `unit` (its first such line).
    static func setting(_ name: String, of unit: String) throws -> String? {
        try DocumentedNginx.documented(unit).split(separator: "\n").first { $0.hasPrefix("\(name)=") }
            .map { String($0.dropFirst(name.count + 1)) }
    }
}
