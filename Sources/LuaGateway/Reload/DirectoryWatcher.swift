import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Tells when files under a directory may have changed: with inotify where it can
/// (every subdirectory watched), else by polling the files' sizes and times. Bursts of
/// events (an editor writes, renames and chmods) are told once, after a short quiet.
final class DirectoryWatcher: @unchecked Sendable {
    private let root: String
    private let recursive: Bool
    private let pollInterval: Double
    private let onChange: @Sendable () -> Void
    private let logger: Logger
    private let lock = NSLock()
    private var stopped = false
    private var thread: Thread?
    /// Signalled once changes are noticed (the watches are in place, or the first poll's picture taken).
    private let watching = DispatchSemaphore(value: 0)

    /// Quiet time that ends a burst of events, and the longest a burst may delay a reload.
    private static let quiet = 0.05, longestBurst = 0.5

    init(root: String, recursive: Bool, pollInterval: Double, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        self.root = root
        self.recursive = recursive
        self.pollInterval = pollInterval
        self.logger = logger
        self.onChange = onChange
    }

    /// Starts watching on a thread of its own; with `polling`, inotify is not tried. Returns once
    /// a change made from now on will be noticed (or after 10 s, should the thread be slow to start).
    func start(polling: Bool) {
        let thread = Thread { [self] in
            if polling || !watchWithInotify() { poll() }
        }
        thread.name = "luagw-watcher"
        self.thread = thread
        thread.start()
        _ = watching.wait(timeout: .now() + 10)
    }

    func stop() {
        lock.withLock { stopped = true }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    // MARK: inotify

    /// Watches until stopped; false when inotify cannot be used (then polling takes over).
    private func watchWithInotify() -> Bool {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else {
            logger.warning("inotify is not available (errno \(errno)): polling every \(pollInterval) s")
            return false
        }
        defer { close(fd) }
        guard addWatches(fd) else {
            logger.warning("cannot watch \(root) with inotify (errno \(errno), maybe fs.inotify.max_user_watches): polling every \(pollInterval) s")
            return false
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        watching.signal()
        while !isStopped {
            guard wait(fd, seconds: 0.2), drain(fd, &buffer) else { continue }
            // A burst: wait for a quiet moment (bounded), then tell once.
            let start = Date()
            while wait(fd, seconds: Self.quiet), Date().timeIntervalSince(start) < Self.longestBurst {
                _ = drain(fd, &buffer)
            }
            _ = addWatches(fd)  // new subdirectories
            onChange()
        }
        return true
    }

    private func addWatches(_ fd: Int32) -> Bool {
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF)
        var directories = [root]
        if recursive { directories += subdirectories() }
        for directory in directories where inotify_add_watch(fd, directory, mask) < 0 {
            if errno == ENOSPC { return false }
        }
        return true
    }

    private func subdirectories() -> [String] {
        var found: [String] = []
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return found }
        while let relative = enumerator.nextObject() as? String {
            if (relative as NSString).lastPathComponent.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory {
                found.append(root + "/" + relative)
            }
        }
        return found
    }

    private func wait(_ fd: Int32, seconds: Double) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return Glibc.poll(&pfd, 1, Int32(seconds * 1000)) > 0
    }

    /// Reads the events that arrived; whether one of them may change what is served: a `.lua`
    /// file, a directory, or the watch itself. A database or a log written beside the scripts
    /// (SQLite's file and its `-wal`, SPEC 13) changes nothing and costs no rescan.
    private func drain(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var concerns = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return concerns }
            if !concerns { concerns = buffer.withUnsafeBytes { Self.anyConcernsScripts(UnsafeRawBufferPointer(rebasing: $0[..<count])) } }
        }
    }

    private static func anyConcernsScripts(_ events: UnsafeRawBufferPointer) -> Bool {
        let header = MemoryLayout<inotify_event>.size
        var offset = 0
        while offset + header <= events.count {
            let mask = events.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let length = Int(events.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let name = events[(offset + header)..<min(offset + header + length, events.count)].prefix { $0 != 0 }
            if mask & UInt32(IN_ISDIR | IN_DELETE_SELF | IN_IGNORED | IN_Q_OVERFLOW) != 0 || name.isEmpty
                || name.suffix(4).elementsEqual(".lua".utf8) {
                return true
            }
            offset += header + length
        }
        return false
    }

    // MARK: polling

    private func poll() {
        var last = fingerprint()
        watching.signal()
        while !isStopped {
            Thread.sleep(forTimeInterval: pollInterval)
            let now = fingerprint()
            if now != last {
                last = now
                onChange()
            }
        }
    }

    /// The size, modification time and inode of every script and directory under the root.
    private func fingerprint() -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        let paths = recursive ? (FileManager.default.subpaths(atPath: root) ?? [])
            : ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
        for relative in paths {
            var info = stat()
            // Scripts and directories: a database or a log beside them changes nothing served.
            guard stat(root + "/" + relative, &info) == 0 else { continue }
            guard relative.hasSuffix(".lua") || info.st_mode & S_IFMT == S_IFDIR else { continue }
            result[relative] = [Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec), Int(info.st_ino)]
        }
        return result
    }
}
