internal import CLuaGatewayBridge

/// A coroutine of a state that runs requests one after another (SPEC 4: a state runs many
/// requests at once, one coroutine each), with its C record (`luagw_run`: the request's time
/// budget, where it was stopped, its route) and its Lua-side record (the table the coroutine
/// is anchored in; `C.current()` returns it while the request runs). Made and kept by its
/// `LuaState`, which frees both when it closes.
struct RequestCoroutine {
    /// The request's run record.
    let run: UnsafeMutablePointer<luagw_run>
    /// The coroutine.
    var thread: OpaquePointer { run.pointee.thread }
}
