import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Brings in new generations of scripts (SPEC 4): when the watcher sees a change, on
/// SIGHUP, or when asked. A new reading of the directory that changes something is
/// compiled and loaded once, in a probe state; a file that fails keeps its last good
/// version (`LastGoodVersions`) and the rest is handed to every worker, whose pools then
/// serve new requests from it while requests already running finish on the states they have.
/// Under `--dev` a broken file is served as saved: its requests answer 500 with the error,
/// which the developer sees in the browser. The listener's TLS certificate (SPEC 11) is read
/// again on SIGHUP and when asked, and looked at every `pollInterval` (watch and poll modes).
final class Reloader: @unchecked Sendable {
    private let target: String
    private let logger: Logger
    private let apply: @Sendable (ScriptSet) -> Void
    private let luaLimits: LuaLimits
    /// `--dev`: broken files are served as saved, not held back.
    private let servesAsSaved: Bool
    private let queue = DispatchQueue(label: "luagw.reload")
    /// The generation being served, and the directory as last read; on `queue` only.
    private var current: ScriptSet
    private var lastReading: ScriptSet
    /// The last failure logged, so that one broken change is logged once.
    private var lastFailure: String?
    /// The files that failed at the last reload: one that loads again is said so.
    private var failedFiles: Set<String> = []
    private var watcher: DirectoryWatcher?
    /// Watchers of the `--lua-path` directories: their modules are read by each new state from
    /// disk, so a change there makes a new generation even though the served directory is the same.
    private var modulePathWatchers: [DirectoryWatcher] = []
    private var hangup: DispatchSourceSignal?
    /// `--tls-cert` and `--tls-key`, when the listener speaks TLS; used on `queue` only.
    private let certificates: TLSCertificates?
    private var certificateLook: DispatchSourceTimer?
    /// Told of each reload that changed something or failed: whether every file came in.
    var outcome: (@Sendable (_ complete: Bool) -> Void)?
    /// The last reload's error, until a reload comes in whole (for /status).
    var lastError: String? { queue.sync { lastFailure } }
    /// The generation being served.
    var generation: Int { queue.sync { current.generation } }
    private static let watcherReason = "a change"

    init(scripts: ScriptSet, target: String, luaLimits: LuaLimits, servesAsSaved: Bool = false,
         certificates: TLSCertificates? = nil, logger: Logger, apply: @escaping @Sendable (ScriptSet) -> Void) {
        self.certificates = certificates
        self.luaLimits = luaLimits
        self.servesAsSaved = servesAsSaved
        self.current = scripts
        self.lastReading = scripts
        self.target = target
        self.logger = logger
        self.apply = apply
    }

    /// Starts noticing changes as `mode` says.
    func start(mode: ReloadMode, pollInterval: Double) {
        guard mode != .off else { return }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hangup.setEventHandler { [weak self] in self?.reloadEverythingOnQueue(reason: "SIGHUP") }
        hangup.resume()
        self.hangup = hangup
        guard mode == .watch || mode == .poll else { return }
        if let certificates {
            let look = DispatchSource.makeTimerSource(queue: queue)
            look.schedule(deadline: .now() + pollInterval, repeating: pollInterval)
            look.setEventHandler { [logger] in certificates.reloadIfChanged(logger: logger) }
            look.resume()
            certificateLook = look
        }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory)
        let watcher = DirectoryWatcher(root: current.root, recursive: isDirectory.boolValue, pollInterval: pollInterval,
                                       logger: logger) { [weak self] in self?.reload(reason: Self.watcherReason) }
        watcher.start(polling: mode == .poll)
        self.watcher = watcher
        for directory in luaLimits.luaPath where FileManager.default.fileExists(atPath: directory) {
            let reason = "a change in --lua-path \(directory)"
            let watcher = DirectoryWatcher(root: directory, recursive: true, pollInterval: pollInterval, logger: logger) {
                [weak self] in self?.reloadModulePath(reason: reason)
            }
            watcher.start(polling: mode == .poll)
            modulePathWatchers.append(watcher)
        }
    }

    func stop() {
        watcher?.stop()
        for watcher in modulePathWatchers { watcher.stop() }
        hangup?.cancel()
        certificateLook?.cancel()
    }

    /// Reloads soon, on the reload queue.
    func reload(reason: String) {
        queue.async { self.reloadOnQueue(reason: reason) }
    }

    /// Reloads now, as SIGHUP does, and returns the generation served afterwards (for tests and callers that wait).
    @discardableResult
    func reloadAndWait(reason: String) -> Int {
        queue.sync { reloadEverythingOnQueue(reason: reason) }
    }

    /// Reloads soon, after a change in a `--lua-path` directory.
    private func reloadModulePath(reason: String) {
        queue.async { self.reloadOnQueue(reason: reason, rereadsModulePath: true) }
    }

    /// What SIGHUP reloads: the TLS certificate, then the scripts, and the `--lua-path` modules
    /// (a new generation even when the served directory did not change).
    @discardableResult
    private func reloadEverythingOnQueue(reason: String) -> Int {
        certificates?.reload(reason: reason, logger: logger)
        return reloadOnQueue(reason: reason, rereadsModulePath: !luaLimits.luaPath.isEmpty)
    }

    /// Reads the directory again and serves what changed; with `rereadsModulePath`, a new
    /// generation comes in even when nothing in it changed, so that new states load the
    /// `--lua-path` modules from disk again.
    @discardableResult
    private func reloadOnQueue(reason: String, rereadsModulePath: Bool = false) -> Int {
        let started = DispatchTime.now()
        let next: ScriptSet
        do {
            next = try ScriptSet.load(from: target, generation: current.generation + 1)
        } catch {
            reportOnce("reload: cannot read \(target): \(error)")
            outcome?(false)
            return current.generation
        }
        guard rereadsModulePath || !ScriptChanges(from: lastReading, to: next).isEmpty else {
            // Said when someone asked (SIGHUP, a caller); a watcher's event with no change is routine.
            logger.log(level: reason == Self.watcherReason ? .debug : .info, "reload after \(reason): nothing changed")
            return current.generation
        }
        lastReading = next
        let good = LastGoodVersions(reading: next, served: current, limits: luaLimits)
        let served = servesAsSaved ? next : good.scripts
        if good.failures.isEmpty {
            lastFailure = nil
        } else {
            let outcome = servesAsSaved ? "are served as saved (--dev): their requests answer 500 with the error"
                                        : "keep their last good version (a new one answers 500)"
            reportOnce("reload after \(reason): these files \(outcome):\n" + good.failures.joined(separator: "\n"))
        }
        for file in failedFiles.subtracting(good.failedFiles).sorted() where next.modules[file] != nil {
            logger.info("reload after \(reason): \(file) loads again")
        }
        failedFiles = good.failedFiles
        for module in good.newModules { ModuleScripts.report(module.mount, returned: module.returned, to: logger) }
        outcome?(good.failures.isEmpty)
        let changes = ScriptChanges(from: current, to: served)
        guard rereadsModulePath || !changes.isEmpty else { return current.generation }
        current = served
        apply(served)
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        let what = changes.isEmpty ? "--lua-path modules read again" : "\(changes)"
        logger.info("reload after \(reason): generation \(served.generation) (\(what)) in \(String(format: "%.1f", milliseconds)) ms")
        return served.generation
    }

    private func reportOnce(_ message: String) {
        guard message != lastFailure else { return }
        lastFailure = message
        logger.error("\(message)")
    }
}
