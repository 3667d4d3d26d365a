internal import CLuaGatewayBridge
import Dispatch
import NIOConcurrencyHelpers

/// Gives memory the process freed back to the system, off the event loops: glibc keeps what
/// a closed Lua state or thousands of closed connections freed (RSS stayed at 154 MiB after
/// a 128 MiB state was dropped). Requests that come while one is pending make one release.
enum MemoryRelease {
    private static let pending = NIOLockedValueBox(false)

    /// A release soon (after `delay`, so that what is being freed now is freed by then).
    static func request() {
        let first = pending.withLockedValue { pending in defer { pending = true }; return !pending }
        guard first else { return }
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + delay) {
            pending.withLockedValue { $0 = false }
            luagw_release_memory()
        }
    }

    static let delay = 0.2
}
