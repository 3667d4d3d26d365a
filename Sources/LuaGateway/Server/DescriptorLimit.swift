#if canImport(Glibc)
import Glibc
#endif

/// The process's descriptor limit (`RLIMIT_NOFILE`) and what it allows: luagw raises the soft
/// limit it inherits (often 1,024) to the hard one at start-up, and keeps `--max-connections`
/// below it, so that a crowd of idle connections meets a 503 rather than a failing `accept`.
struct DescriptorLimit {
    /// Descriptors the process may open.
    let soft: Int

    /// Raises the soft limit to the hard one (as far as the kernel lets it) and returns what
    /// it is afterwards.
    static func raised() -> DescriptorLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return DescriptorLimit(soft: Int.max) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return DescriptorLimit(soft: Int(clamping: limit.rlim_cur))  // RLIM_INFINITY is the largest value: clamped to Int.max
    }

    /// Descriptors kept for what is not a client connection: the listener, the event loops'
    /// own, log files, scripts being read, and the applications' sockets, files and commands.
    var reserved: Int { min(1024, max(16, soft / 4)) }

    /// Client connections the limit allows.
    var connections: Int { max(1, soft - reserved) }
}
