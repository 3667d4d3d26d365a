internal import CLuaGatewayBridge
import NIOCore

/// What the watchdog's reports of a blocked event loop call a run (`BlockedLoopReports`): the
/// request's id, method and target, or, with no method, what runs (`a timer`). Made only when a
/// run blocks its loop (`RequestRunner.labeller`): a request that does not pays nothing for it.
struct RunLabel {
    var id: ByteBuffer
    var method: String
    var target: String

    /// A run with no client: a timer's or a light thread's (`kind`), tagged with `id`.
    static func clientless(kind: String, id: String) -> RunLabel {
        RunLabel(id: ByteBuffer(string: id), method: "", target: "a \(kind)")
    }

    /// Copies the label into `run`'s record (cut to fit).
    func write(into run: UnsafeMutablePointer<luagw_run>) {
        var method = method, target = target
        id.withLuaBytes { id in
            method.withUTF8 { method in
                target.withUTF8 { target in
                    luagw_bytes.lend(UnsafeRawBufferPointer(method)) { method in
                        luagw_bytes.lend(UnsafeRawBufferPointer(target)) { luagw_run_label(run, id, method, $0) }
                    }
                }
            }
        }
    }
}
