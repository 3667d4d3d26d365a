/// One script and the URL path it serves (SPEC 3).
struct Mount: Sendable {
    /// The mount point: "" for the root, else "/a/b" (no trailing slash).
    let path: String
    /// The script's file, as given or found.
    let file: String
    /// The script's source, read once per script set.
    let source: [UInt8]

    var pathBytes: [UInt8] { Array(path.utf8) }
}
