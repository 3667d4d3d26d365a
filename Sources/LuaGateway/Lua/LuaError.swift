/// A failure of the Lua side, with the message (and traceback) that Lua gave.
enum LuaError: Error {
    case outOfMemory
    case setup(String)
    case runtime(String)

    var message: String {
        switch self {
        case .outOfMemory: "not enough memory for a Lua state"
        case .setup(let message): "setting up a Lua state failed: \(message)"
        case .runtime(let message): message
        }
    }
}
