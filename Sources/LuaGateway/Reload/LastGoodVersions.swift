/// SPEC 4, script by script: a new reading of the directory in which every file that fails to
/// compile, and every mounted script that fails to load, is replaced by its version in the
/// generation served. A broken file so holds back only itself (and the scripts that fail to
/// load without it); every other change comes in. A new script with no good version stays as
/// it is and answers 500.
struct LastGoodVersions {
    /// What the server is to serve next.
    private(set) var scripts: ScriptSet
    /// The errors found (file, line, message), for the log.
    private(set) var failures: [String] = []
    /// The files that failed (relative to the root): one that fails no more is said to load again.
    private(set) var failedFiles: Set<String> = []
    /// The scripts new or changed in this reading that return no application (modules, not
    /// mounted), with what they returned, for the log.
    private(set) var newModules: [(mount: Mount, returned: String)] = []

    init(reading next: ScriptSet, served current: ScriptSet, limits: LuaLimits) {
        scripts = next
        var modules = next.modules
        do {
            // Modules first: one that does not compile keeps its last good source.
            let compiler = try LuaState(scripts: ScriptSet(root: next.root, mounts: []), limits: limits) { _, _ in }
            for (relative, source) in next.modules.sorted(by: { $0.key < $1.key }) {
                guard let message = compiler.compileError(source, file: next.root + "/" + relative) else { continue }
                failures.append(message)
                failedFiles.insert(relative)
                if let good = current.modules[relative] { modules[relative] = good }
            }
            // Then the mounts, loaded in a probe state: one that fails keeps its last good version.
            var mounts = Self.mounts(of: next, sources: modules)
            var failed: [String: String] = [:]
            let before = Dictionary(current.mounts.map { ($0.file, $0.source) }, uniquingKeysWith: { first, _ in first })
            var found: [(mount: Mount, returned: String)] = []
            _ = try LuaState(scripts: Self.set(next, mounts, modules), limits: limits, onModule: { mount, returned in
                if before[mount.file] != mount.source { found.append((mount, returned)) }
            }, onLoadError: { mount, message in
                failed[mount.path] = message
            })
            newModules = found
            for (_, message) in failed.sorted(by: { $0.key < $1.key }) where !failures.contains(message) {
                failures.append(message)
            }
            for mount in mounts where failed[mount.path] != nil { failedFiles.insert(Self.relative(mount.file, root: next.root)) }
            let served = Dictionary(current.mounts.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            mounts = mounts.map { mount in
                guard failed[mount.path] != nil, let good = served[mount.path], good.file == mount.file else { return mount }
                modules[Self.relative(mount.file, root: next.root)] = good.source
                // A middleware that failed (scripts.lua names it first) keeps its last good version too.
                for middleware in mount.middlewares where failed[mount.path]!.hasPrefix("middleware \(middleware): ") {
                    modules[middleware] = current.modules[middleware] ?? modules[middleware]
                }
                return Mount(path: good.path, file: good.file, source: good.source, middlewares: mount.middlewares)
            }
            scripts = Self.set(next, mounts, modules)
        } catch {
            failures.append(error.message)
            scripts = current
        }
    }

    /// `next`'s mounts with their sources taken from `sources`.
    private static func mounts(of next: ScriptSet, sources: [String: [UInt8]]) -> [Mount] {
        next.mounts.map { mount in
            Mount(path: mount.path, file: mount.file, source: sources[relative(mount.file, root: next.root)] ?? mount.source,
                  middlewares: mount.middlewares)
        }
    }

    private static func set(_ next: ScriptSet, _ mounts: [Mount], _ modules: [String: [UInt8]]) -> ScriptSet {
        ScriptSet(root: next.root, mounts: mounts, modules: modules, generation: next.generation,
                  publicDirectory: next.publicDirectory)
    }

    private static func relative(_ file: String, root: String) -> String {
        file.hasPrefix(root + "/") ? String(file.dropFirst(root.count + 1)) : file
    }
}
