import NIOCore

/// A value an operation hands back to the request that waited for it (pushed onto its
/// coroutine when it resumes; bytes become a Lua string).
enum OperationValue {
    case `nil`
    case boolean(Bool)
    case number(Double)
    case integer(Int)
    case bytes(ByteBuffer)

    /// `nil, message`: how a call that failed answers (OpenResty's and LuaSocket's convention).
    static func failure(_ message: String) -> [OperationValue] {
        [.nil, .bytes(ByteBuffer(string: message))]
    }
}
