internal import CLuaGatewayBridge

/// Collects a request's environ (SPEC 2) as bytes, then builds the Lua table in one
/// protected call. One per event loop, reused by every request of that loop: the bytes go
/// into an arena it keeps (constant keys are not copied at all), so a request allocates nothing.
final class EnvironBuilder {
    private var arena: UnsafeMutableRawBufferPointer
    private var used = 0
    /// The pairs as the C side takes them, pointing into the arena (moved with it when it grows)
    /// or, for a constant key, at the constant's own bytes.
    private var fixed: [luagw_pair] = []
    private var headers: [luagw_pair] = []

    init() {
        arena = .allocate(byteCount: 4096, alignment: 1)
        fixed.reserveCapacity(24)
        headers.reserveCapacity(32)
    }

    deinit {
        arena.deallocate()
    }

    /// Starts a new environ.
    func reset() {
        used = 0
        fixed.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
    }

    /// A key of its own, set verbatim.
    func set<Value: Collection>(_ key: StaticString, _ value: Value) where Value.Element == UInt8 {
        let value = append(value)
        fixed.append(luagw_pair(key: Self.bytes(of: key), value: bytes(value), key_is_constant: 1))
    }

    func set(_ key: StaticString, _ value: String) {
        var value = value
        let range = value.withUTF8 { append(UnsafeRawBufferPointer($0)) }
        fixed.append(luagw_pair(key: Self.bytes(of: key), value: bytes(range), key_is_constant: 1))
    }

    func set(_ key: StaticString, _ value: StaticString) {
        set(key, UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    }

    /// A key known only at run time (CGI's environment).
    func setDynamic(_ key: String, _ value: String) {
        let key = append(key.utf8)
        let value = append(value.utf8)
        fixed.append(luagw_pair(key: bytes(key), value: bytes(value), key_is_constant: 0))
    }

    /// A request header; the C side names it HTTP_* and joins repeats.
    func addHeader<Name: Collection, Value: Collection>(name: Name, value: Value)
    where Name.Element == UInt8, Value.Element == UInt8 {
        let name = append(name)
        let value = append(value)
        headers.append(luagw_pair(key: bytes(name), value: bytes(value), key_is_constant: 0))
    }

    /// Pushes the environ table onto `L` (a thread that is not running). [-0, +1, -]
    func build(on L: OpaquePointer) -> Int32 {
        fixed.withUnsafeBufferPointer { fixed in
            headers.withUnsafeBufferPointer { headers in
                luagw_build_environ(L, fixed.baseAddress, Int32(fixed.count), headers.baseAddress, Int32(headers.count))
            }
        }
    }

    /// A constant key's bytes: a literal's are NUL-terminated (`StaticString.utf8Start`) and never move.
    private static func bytes(of key: StaticString) -> luagw_bytes {
        luagw_bytes(data: UnsafeRawPointer(key.utf8Start).assumingMemoryBound(to: CChar.self), length: key.utf8CodeUnitCount)
    }

    /// The arena's bytes at `range`, where they are now.
    private func bytes(_ range: Range<Int>) -> luagw_bytes {
        luagw_bytes(data: arena.baseAddress!.assumingMemoryBound(to: CChar.self) + range.lowerBound, length: range.count)
    }

    /// Copies `value` into the arena; where it is.
    private func append<C: Collection>(_ value: C) -> Range<Int> where C.Element == UInt8 {
        value.withContiguousStorageIfAvailable { append(UnsafeRawBufferPointer($0)) }
            ?? Array(value).withUnsafeBytes { append($0) }  // a collection without contiguous bytes: rare
    }

    /// Copies `value` into the arena (grown when it is full); where it is.
    private func append(_ value: UnsafeRawBufferPointer) -> Range<Int> {
        let start = used
        reserve(value.count)
        if let source = value.baseAddress { (arena.baseAddress! + start).copyMemory(from: source, byteCount: value.count) }
        used += value.count
        return start..<used
    }

    /// Room for `count` more bytes; the pairs follow the bytes when they move.
    private func reserve(_ count: Int) {
        guard used + count > arena.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(arena.count * 2, used + count), alignment: 1)
        grown.baseAddress!.copyMemory(from: arena.baseAddress!, byteCount: used)
        let old = UnsafeRawPointer(arena.baseAddress!), new = UnsafeRawPointer(grown.baseAddress!)
        func moved(_ b: luagw_bytes) -> luagw_bytes {
            luagw_bytes(data: (new + (UnsafeRawPointer(b.data!) - old)).assumingMemoryBound(to: CChar.self), length: b.length)
        }
        for i in fixed.indices {
            if fixed[i].key_is_constant == 0 { fixed[i].key = moved(fixed[i].key) }
            fixed[i].value = moved(fixed[i].value)
        }
        for i in headers.indices {
            headers[i].key = moved(headers[i].key)
            headers[i].value = moved(headers[i].value)
        }
        arena.deallocate()
        arena = grown
    }
}
