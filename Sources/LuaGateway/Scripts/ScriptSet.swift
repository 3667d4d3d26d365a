import Foundation

/// The scripts a server serves, read from a directory or a single file, and the
/// routing of a request path to one of them (SPEC 3). Immutable: a reload makes a new one.
struct ScriptSet: Sendable {
    /// The directory `require` searches first.
    let root: String
    /// The mounts, in the order their apps are indexed in each state (1-based there).
    let mounts: [Mount]
    /// Every `*.lua` file of the directory as it was read, by path relative to `root`:
    /// `require` loads modules from here, so a generation's states all see the same code.
    let modules: [String: [UInt8]]
    /// Which reading of the directory this is (1 at start-up, one more per reload).
    let generation: Int
    /// `DIR/public/`, whose files are served as they are (SPEC 8), when the directory has one.
    let publicDirectory: String?
    /// Mount indexes by decreasing path length, for the longest match.
    private let byLength: [(index: Int, path: [UInt8])]

    init(root: String, mounts: [Mount], modules: [String: [UInt8]] = [:], generation: Int = 1,
         publicDirectory: String? = nil) {
        self.root = root
        self.mounts = mounts
        self.modules = modules
        self.generation = generation
        self.publicDirectory = publicDirectory
        self.byLength = mounts.enumerated()
            .map { (index: $0.offset, path: $0.element.pathBytes) }
            .sorted { $0.path.count > $1.path.count }
    }

    /// The index of the application that serves `DIR/public/` (after the mounts').
    var publicIndex: Int { mounts.count }

    /// The application that serves `path` (percent-decoded) for a GET or HEAD (`isRead`) or
    /// another method: a file of `DIR/public/` that the path names, else the mount with the
    /// longest mount point that matches whole segments. Returns its index and the length of
    /// its mount point (SCRIPT_NAME). Mounts marked in `modules` (by index: scripts that turned
    /// out to be modules when a state loaded them) are passed over.
    func route(_ path: [UInt8], isRead: Bool, skipping modules: [Bool]? = nil) -> (index: Int, scriptNameLength: Int)? {
        if isRead, let publicDirectory, PublicFiles.names(path, aFileIn: publicDirectory) {
            return (publicIndex, 0)
        }
        return route(path, skipping: modules)
    }

    /// The mount that serves `path` (percent-decoded): the longest mount point that
    /// matches whole segments, modules passed over. Returns its index and the length of its mount point.
    func route(_ path: [UInt8], skipping modules: [Bool]? = nil) -> (index: Int, scriptNameLength: Int)? {
        for candidate in byLength where modules?[candidate.index] != true {
            let mount = candidate.path
            guard path.count >= mount.count, path.starts(with: mount) else { continue }
            if path.count == mount.count || path[mount.count] == UInt8(ascii: "/") {
                return (candidate.index, mount.count)
            }
        }
        return nil
    }
}

extension ScriptSet {
    /// Reads `target`: a directory (every `*.lua` below it is a module; those whose path
    /// has no `_`-prefixed part are mounted too, each wrapped by the `_middleware.lua` files
    /// of its folder and the folders above; `.`-prefixed names and `public/` are left out), or
    /// one `.lua` file mounted at `/` (the `*.lua` files beside it are its modules).
    static func load(from target: String, generation: Int = 1) throws -> ScriptSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) else {
            throw ScriptSetError.notFound(target)
        }
        let url = URL(fileURLWithPath: target).standardizedFileURL
        if !isDirectory.boolValue {
            let root = url.deletingLastPathComponent()
            let modules = try readSources(under: root, recursive: false)
            let source = try modules[url.lastPathComponent] ?? readSource(url)
            let mount = Mount(path: "", file: url.path, source: source)
            return ScriptSet(root: root.path, mounts: [mount], modules: modules, generation: generation)
        }
        let modules = try readSources(under: url, recursive: true).filter { !$0.key.hasPrefix(publicFolder + "/") }
        var byPath: [String: Mount] = [:]
        for (relative, source) in modules.sorted(by: { $0.key < $1.key }) {
            guard !relative.split(separator: "/").contains(where: { $0.hasPrefix("_") }) else { continue }
            let path = mountPath(forRelativeFile: relative)
            if let existing = byPath[path] {
                // `api.lua` and `api/index.lua` both claim /api: the plain file wins.
                if !existing.file.hasSuffix("/index.lua") { continue }
            }
            byPath[path] = Mount(path: path, file: url.appendingPathComponent(relative).path, source: source,
                                 middlewares: middlewares(wrapping: relative, among: modules))
        }
        let mounts = byPath.values.sorted { $0.path < $1.path }
        return ScriptSet(root: url.path, mounts: mounts, modules: modules, generation: generation,
                         publicDirectory: PublicFiles.folder(url.appendingPathComponent(publicFolder).path))
    }

    /// The folder of a script directory whose files are served as they are (SPEC 8).
    static let publicFolder = "public"

    /// The `_middleware.lua` files among `modules` that wrap the script `relative`: its
    /// folder's first, the root's last.
    static func middlewares(wrapping relative: String, among modules: [String: [UInt8]]) -> [String] {
        var folders = relative.split(separator: "/").dropLast().map(String.init)
        var found: [String] = []
        while true {
            let candidate = (folders + ["_middleware.lua"]).joined(separator: "/")
            if modules[candidate] != nil { found.append(candidate) }
            if folders.isEmpty { return found }
            folders.removeLast()
        }
    }

    /// `a/b.lua` → `/a/b`; `index.lua` → ``; `a/index.lua` → `/a`.
    static func mountPath(forRelativeFile relative: String) -> String {
        var components = relative.split(separator: "/").map(String.init)
        let last = components.removeLast()
        let stem = String(last.dropLast(4))
        if stem != "index" { components.append(stem) }
        return components.map { "/" + $0 }.joined()
    }

    /// Every `*.lua` file under `root` (names starting with `.` left out), by relative path.
    private static func readSources(under root: URL, recursive: Bool) throws -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        func walk(_ relative: String) throws {
            let directory = relative.isEmpty ? root : root.appendingPathComponent(relative)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where !name.hasPrefix(".") {
                let child = relative.isEmpty ? name : relative + "/" + name
                let url = root.appendingPathComponent(child)
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
                if isDirectory.boolValue {
                    if recursive { try walk(child) }
                } else if name.hasSuffix(".lua") {
                    found[child] = try readSource(url)
                }
            }
        }
        try walk("")
        return found
    }

    private static func readSource(_ url: URL) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ScriptSetError.unreadable(url.path)
        }
        return Array(data)
    }
}

/// Why a script target could not be read.
public enum ScriptSetError: Error, CustomStringConvertible {
    case notFound(String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .notFound(let path): "no such file or directory: \(path)"
        case .unreadable(let path): "cannot read \(path)"
        }
    }
}
