import Foundation

/// Files the tests write: a fresh directory under the system's temporary one, its files written
/// with their parent folders made, removed by its owner when done.
struct ScratchDirectory {
    let url: URL

    init(_ prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    /// Writes (or overwrites) `relative` (`api/users.lua`); returns its URL.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// A line of /proc/PID/status in KiB (`VmRSS`, resident now; `VmHWM`, the peak), of this process
/// when `pid` is nil.
func procStatusKiB(_ field: String, pid: Int32? = nil) -> Int {
    let file = "/proc/\(pid.map { String($0) } ?? "self")/status"
    let status = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
    return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
}
