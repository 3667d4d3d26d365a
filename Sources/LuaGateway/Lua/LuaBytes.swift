internal import CLuaGatewayBridge
import NIOCore

/// Lending Swift bytes to the C bridge for the duration of one call.
extension luagw_bytes {
    static func lend<R>(_ bytes: UnsafeRawBufferPointer, _ body: (luagw_bytes) -> R) -> R {
        body(luagw_bytes(data: bytes.baseAddress?.assumingMemoryBound(to: CChar.self), length: bytes.count))
    }
}

extension Array where Element == UInt8 {
    func withLuaBytes<R>(_ body: (luagw_bytes) -> R) -> R {
        withUnsafeBytes { luagw_bytes.lend($0, body) }
    }
}

extension ByteBuffer {
    func withLuaBytes<R>(_ body: (luagw_bytes) -> R) -> R {
        withUnsafeReadableBytes { luagw_bytes.lend($0, body) }
    }

    /// Appends up to `limit` bytes of the Lua string at `index` of `L` (nothing when
    /// the value is not a string: no conversion, no allocation). [-0, +0, -]
    mutating func writeLuaString(at index: Int32, of L: OpaquePointer, limit: Int = .max) {
        var length = 0
        guard luagw_isstring(L, index) != 0, let pointer = lua_tolstring(L, index, &length) else { return }
        writeBytes(UnsafeRawBufferPointer(start: pointer, count: min(length, limit)))
    }
}
