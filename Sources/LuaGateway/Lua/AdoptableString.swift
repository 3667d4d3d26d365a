internal import CLuaGatewayBridge
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Bytes gathered into the block that a Lua string is then made of without a copy
/// (`luagw_pushadopted`): the pieces of a whole-body read go once from the socket's buffers into
/// the string's own memory, instead of into a buffer that Lua would copy again.
struct AdoptableString {
    /// Bytes the block has before the string's contents (0: Lua copies the block's bytes instead).
    private static let header = luagw_string_header()
    private var block: UnsafeMutableRawPointer?
    /// Content bytes the block has room for, and holds.
    private var capacity = 0
    private(set) var count = 0

    var isEmpty: Bool { block == nil }

    /// Appends `bytes`, making room for `expected` bytes in all at once when that is more.
    mutating func append(_ bytes: ByteBuffer, expected: Int) {
        let needed = count + bytes.readableBytes
        if needed > capacity { resize(to: max(needed, expected, capacity * 2)) }
        bytes.withUnsafeReadableBytes { source in
            guard let base = source.baseAddress else { return }
            (block! + Self.header + count).copyMemory(from: base, byteCount: source.count)
        }
        count = needed
    }

    /// Pushes the bytes onto `thread` as a string that owns the block (allocation protected on
    /// `main`); empties this. [-0, +1, m]
    mutating func push(main: OpaquePointer, thread: OpaquePointer) -> Int32 {
        if capacity > count { resize(to: count) }  // Lua asks for a block of the string's size
        let taken = block!.assumingMemoryBound(to: CChar.self)
        let length = count
        self = AdoptableString()
        return luagw_pushadopted(main, thread, taken, length)
    }

    /// Frees what was gathered.
    mutating func clear() {
        free(block)
        self = AdoptableString()
    }

    private mutating func resize(to size: Int) {
        guard let grown = realloc(block, Self.header + size + 1) else { fatalError("out of memory for a request body") }
        block = grown
        capacity = size
    }
}
