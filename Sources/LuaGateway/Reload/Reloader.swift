import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Brings in new generations of scripts (SPEC 4): when the watcher sees a change, on
/// SIGHUP, or when asked. A new reading of the directory that changes something is
/// compiled and loaded once, in a probe state; only when every script and module
/// compiles and loads is it handed to every worker, whose pools then serve new
/// requests from it while requests already running finish on the states they have.
final class Reloader: @unchecked Sendable {
    private let target: String
    private let logger: Logger
    private let apply: @Sendable (ScriptSet) -> Void
    private let luaLimits: LuaLimits
    private let queue = DispatchQueue(label: "luagw.reload")
    /// The generation being served; read and written on `queue` only.
    private var current: ScriptSet
    /// The last failure logged, so that one broken change is logged once.
    private var lastFailure: String?
    private var watcher: DirectoryWatcher?
    private var hangup: DispatchSourceSignal?

    init(scripts: ScriptSet, target: String, luaLimits: LuaLimits, logger: Logger, apply: @escaping @Sendable (ScriptSet) -> Void) {
        self.luaLimits = luaLimits
        self.current = scripts
        self.target = target
        self.logger = logger
        self.apply = apply
    }

    /// Starts noticing changes as `mode` says.
    func start(mode: ReloadMode, pollInterval: Double) {
        guard mode != .off else { return }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hangup.setEventHandler { [weak self] in self?.reloadOnQueue(reason: "SIGHUP") }
        hangup.resume()
        self.hangup = hangup
        guard mode == .watch || mode == .poll else { return }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory)
        let watcher = DirectoryWatcher(root: current.root, recursive: isDirectory.boolValue, pollInterval: pollInterval,
                                       logger: logger) { [weak self] in self?.reload(reason: "a change") }
        watcher.start(polling: mode == .poll)
        self.watcher = watcher
    }

    func stop() {
        watcher?.stop()
        hangup?.cancel()
    }

    /// Reloads soon, on the reload queue.
    func reload(reason: String) {
        queue.async { self.reloadOnQueue(reason: reason) }
    }

    /// Reloads now and returns the generation served afterwards (for tests and callers that wait).
    @discardableResult
    func reloadAndWait(reason: String) -> Int {
        queue.sync { reloadOnQueue(reason: reason) }
    }

    @discardableResult
    private func reloadOnQueue(reason: String) -> Int {
        let started = DispatchTime.now()
        let next: ScriptSet
        do {
            next = try ScriptSet.load(from: target, generation: current.generation + 1)
        } catch {
            reportOnce("reload: cannot read \(target): \(error)")
            return current.generation
        }
        let changes = ScriptChanges(from: current, to: next)
        guard !changes.isEmpty else { return current.generation }
        let failures = validate(next)
        guard failures.isEmpty else {
            reportOnce("reload after \(reason) (\(changes)) refused; generation \(current.generation) keeps serving:\n"
                       + failures.joined(separator: "\n"))
            return current.generation
        }
        lastFailure = nil
        current = next
        apply(next)
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        logger.info("reload after \(reason): generation \(next.generation) (\(changes)) in \(String(format: "%.1f", milliseconds)) ms")
        return next.generation
    }

    /// Every module compiles and every mounted script loads; else the messages (file, line, message).
    private func validate(_ scripts: ScriptSet) -> [String] {
        var failures: [String] = []
        do {
            let probe = try LuaState(scripts: scripts, limits: luaLimits) { _, message in failures.append(message) }
            for (relative, source) in scripts.modules.sorted(by: { $0.key < $1.key }) {
                if let message = probe.compileError(source, file: scripts.root + "/" + relative), !failures.contains(message) {
                    failures.append(message)
                }
            }
        } catch {
            failures.append(error.message)
        }
        return failures
    }

    private func reportOnce(_ message: String) {
        guard message != lastFailure else { return }
        lastFailure = message
        logger.error("\(message)")
    }
}
