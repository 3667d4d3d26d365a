internal import CLuaGatewayBridge

/// Collects a request's environ (SPEC 2) as bytes, then builds the Lua table in one
/// protected call. One per event loop, reused by every request of that loop: the bytes go
/// into an arena it keeps (constant keys are not copied at all), so a request allocates nothing.
final class EnvironBuilder {
    /// Where a key's bytes are: a constant's own, or copied into the arena.
    private enum Key {
        case constant(StaticString)
        case copied(Range<Int>)
    }

    private var arena: UnsafeMutableRawBufferPointer
    private var used = 0
    private var fixed: [(key: Key, value: Range<Int>)] = []
    private var headers: [(key: Range<Int>, value: Range<Int>)] = []
    private var pairs: [luagw_pair] = []

    init() {
        arena = .allocate(byteCount: 4096, alignment: 1)
        fixed.reserveCapacity(24)
        headers.reserveCapacity(32)
        pairs.reserveCapacity(56)
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
        fixed.append((.constant(key), append(value)))
    }

    func set(_ key: StaticString, _ value: String) {
        var value = value
        fixed.append((.constant(key), value.withUTF8 { append(UnsafeRawBufferPointer($0)) }))
    }

    func set(_ key: StaticString, _ value: StaticString) {
        set(key, UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    }

    /// A key known only at run time (CGI's environment).
    func setDynamic(_ key: String, _ value: String) {
        fixed.append((.copied(append(key.utf8)), append(value.utf8)))
    }

    /// A request header; the C side names it HTTP_* and joins repeats.
    func addHeader<Name: Collection, Value: Collection>(name: Name, value: Value)
    where Name.Element == UInt8, Value.Element == UInt8 {
        headers.append((append(name), append(value)))
    }

    /// Pushes the environ table onto `L` (a thread that is not running). [-0, +1, -]
    func build(on L: OpaquePointer) -> Int32 {
        let base = arena.baseAddress!.assumingMemoryBound(to: CChar.self)
        func bytes(_ range: Range<Int>) -> luagw_bytes {
            luagw_bytes(data: base + range.lowerBound, length: range.count)
        }
        pairs.removeAll(keepingCapacity: true)
        for (key, value) in fixed {
            switch key {
            case .constant(let name):
                let data = UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
                // A literal's bytes are NUL-terminated (`StaticString.utf8Start`) and never move.
                pairs.append(luagw_pair(key: luagw_bytes(data: data, length: name.utf8CodeUnitCount), value: bytes(value),
                                        key_is_constant: 1))
            case .copied(let range):
                pairs.append(luagw_pair(key: bytes(range), value: bytes(value), key_is_constant: 0))
            }
        }
        for (k, v) in headers { pairs.append(luagw_pair(key: bytes(k), value: bytes(v), key_is_constant: 0)) }
        return pairs.withUnsafeBufferPointer { all in
            luagw_build_environ(L, all.baseAddress, Int32(fixed.count),
                                all.baseAddress.map { $0 + fixed.count }, Int32(headers.count))
        }
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

    /// Room for `count` more bytes.
    private func reserve(_ count: Int) {
        guard used + count > arena.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(arena.count * 2, used + count), alignment: 1)
        grown.baseAddress!.copyMemory(from: arena.baseAddress!, byteCount: used)
        arena.deallocate()
        arena = grown
    }
}
