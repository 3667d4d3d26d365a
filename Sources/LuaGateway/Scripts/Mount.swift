/// One script and the URL path it serves (SPEC 3).
struct Mount: Sendable {
    /// The mount point: "" for the root, else "/a/b" (no trailing slash).
    let path: String
    /// The script's file, as given or found.
    let file: String
    /// The script's source, read once per script set.
    let source: [UInt8]
    /// The `_middleware.lua` files that wrap it (SPEC 8), relative to the script directory,
    /// from its own folder's up to the root's: the innermost wraps first.
    var middlewares: [String] = []

    var pathBytes: [UInt8] { Array(path.utf8) }
}
