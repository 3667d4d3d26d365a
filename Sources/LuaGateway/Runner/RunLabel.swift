import NIOCore

/// What the watchdog's reports of a blocked event loop call a run (`BlockedLoopReports`): the
/// request's id, method and target, or, with no method, what runs (`a timer`).
struct RunLabel {
    var id: ByteBuffer
    var method: String
    var target: String

    /// A run with no client: a timer's or a light thread's (`kind`), tagged with `id`.
    static func clientless(kind: String, id: String) -> RunLabel {
        RunLabel(id: ByteBuffer(string: id), method: "", target: "a \(kind)")
    }
}
