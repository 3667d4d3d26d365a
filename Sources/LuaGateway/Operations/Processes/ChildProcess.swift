internal import CLuaGatewayBridge
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// A child process of a request (`os.execute`, `io.popen`: SPEC 5): `/bin/sh -c COMMAND` in a
/// process group of its own, started with posix_spawn (children.c). Its pipe, if it has one, is
/// read and written through NIO as a cosocket's connection is; its exit is learnt from the
/// process's reaper thread, on the request's event loop. Used on that loop only.
final class ChildProcess {
    /// Which end of a pipe the server holds: the child's standard output (`read`), its standard
    /// input (`write`), or none (`os.execute`).
    enum Pipe: Int32 {
        case none = 0
        case read = 114   // "r"
        case write = 119  // "w"
    }

    /// How the child ended: its exit status, or the signal that ended it.
    struct Exit {
        let exited: Bool
        let code: Int
    }

    let eventLoop: EventLoop
    /// The server's end of the pipe, as a connection (nil without a pipe).
    private(set) var pipe: OutboundConnection?
    private var child: OpaquePointer?
    private(set) var exit: Exit?
    private var exitWaiter: ((Exit) -> Void)?

    private init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    deinit {
        if let child { luagw_child_release(child) }
    }

    /// Starts `command` with `pipe`; `started` gets the child once its pipe is set up, or the
    /// reason it could not start.
    static func spawn(_ command: String, pipe: Pipe, on eventLoop: EventLoop,
                      started: @escaping (Result<ChildProcess, SocketFailure>) -> Void) {
        let process = ChildProcess(eventLoop: eventLoop)
        // The reaper holds the process until it tells of its exit.
        let context = Unmanaged.passRetained(process).toOpaque()
        var descriptor: Int32 = -1
        process.child = luagw_child_spawn(command, pipe.rawValue, &descriptor, { context, exited, code in
            let process = Unmanaged<ChildProcess>.fromOpaque(context!).takeRetainedValue()
            process.eventLoop.execute { process.exited(Exit(exited: exited != 0, code: Int(code))) }
        }, context)
        guard process.child != nil else {
            let reason = String(cString: strerror(errno))
            Unmanaged<ChildProcess>.fromOpaque(context).release()
            return started(.failure(.other("cannot start /bin/sh: \(reason)")))
        }
        guard pipe != .none else { return started(.success(process)) }
        let connection = OutboundConnection()
        let bootstrap = NIOPipeBootstrap(group: eventLoop)
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(connection) }
            }
        let attached = pipe == .read ? bootstrap.takingOwnershipOfDescriptor(input: descriptor)
                                     : bootstrap.takingOwnershipOfDescriptor(output: descriptor)
        attached.whenComplete { result in
            switch result {
            case .success:
                process.pipe = connection
                started(.success(process))
            case .failure(let error):
                close(descriptor)  // still ours when NIO did not take it
                process.kill()
                started(.failure(.other("cannot read the pipe: \(error)")))
            }
        }
    }

    /// Calls `body` once the child has exited (at once if it has).
    func whenExited(_ body: @escaping (Exit) -> Void) {
        if let exit { return body(exit) }
        exitWaiter = body
    }

    /// Forgets a `whenExited` waiter (its request ended).
    func forgetWaiter() {
        exitWaiter = nil
    }

    /// Kills the child's process group (SIGKILL) unless it has exited, and closes the pipe.
    func kill() {
        pipe?.close()
        if exit == nil, let child { luagw_child_kill(child) }
    }

    private func exited(_ exit: Exit) {
        self.exit = exit
        let waiter = exitWaiter
        exitWaiter = nil
        waiter?(exit)
    }
}
