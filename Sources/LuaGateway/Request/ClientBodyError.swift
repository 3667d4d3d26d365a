/// An application error that the client caused: `luagw.web.request` raises `bad request body:
/// REASON` (level 0, so the message starts with it) when a body cannot be parsed as what it says
/// it is. Uncaught, it answers `400` with the reason, logged at info, not counted as a Lua error.
enum ClientBodyError {
    static let prefix = "bad request body: "

    /// The reason (the message's first line, without the prefix), when `message` is such an error.
    static func reason(in message: String) -> Substring? {
        guard message.hasPrefix(prefix) else { return nil }
        let rest = message.dropFirst(prefix.count)
        return rest.prefix { $0 != "\n" }
    }
}
