internal import CLuaGatewayBridge

/// Collects a request's environ (SPEC 2) as bytes, then builds the Lua table in one
/// protected call. One per event loop, reused by every request of that loop.
final class EnvironBuilder {
    private var bytes: [UInt8] = []
    private var fixed: [(key: Range<Int>, value: Range<Int>)] = []
    private var headers: [(key: Range<Int>, value: Range<Int>)] = []
    private var pairs: [luagw_pair] = []

    init() {
        bytes.reserveCapacity(4096)
        fixed.reserveCapacity(24)
        headers.reserveCapacity(32)
        pairs.reserveCapacity(56)
    }

    /// Starts a new environ.
    func reset() {
        bytes.removeAll(keepingCapacity: true)
        fixed.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
    }

    /// A key of its own, set verbatim.
    func set<Value: Collection>(_ key: StaticString, _ value: Value) where Value.Element == UInt8 {
        let k = append(UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        fixed.append((k, append(value)))
    }

    func set(_ key: StaticString, _ value: String) {
        set(key, value.utf8)
    }

    func set(_ key: StaticString, _ value: StaticString) {
        set(key, UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    }

    /// A key known only at run time (CGI's environment).
    func setDynamic(_ key: String, _ value: String) {
        fixed.append((append(key.utf8), append(value.utf8)))
    }

    /// A request header; the C side names it HTTP_* and joins repeats.
    func addHeader<Name: Collection, Value: Collection>(name: Name, value: Value)
    where Name.Element == UInt8, Value.Element == UInt8 {
        headers.append((append(name), append(value)))
    }

    /// Pushes the environ table onto `L` (a thread that is not running). [-0, +1, -]
    func build(on L: OpaquePointer) -> Int32 {
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self)
            func bytes(_ range: Range<Int>) -> luagw_bytes {
                luagw_bytes(data: base.map { $0 + range.lowerBound }, length: range.count)
            }
            pairs.removeAll(keepingCapacity: true)
            for (k, v) in fixed { pairs.append(luagw_pair(key: bytes(k), value: bytes(v))) }
            for (k, v) in headers { pairs.append(luagw_pair(key: bytes(k), value: bytes(v))) }
            return pairs.withUnsafeBufferPointer { all in
                luagw_build_environ(L, all.baseAddress, Int32(fixed.count),
                                    all.baseAddress.map { $0 + fixed.count }, Int32(headers.count))
            }
        }
    }

    private func append<C: Collection>(_ value: C) -> Range<Int> where C.Element == UInt8 {
        let start = bytes.count
        bytes.append(contentsOf: value)
        return start..<bytes.count
    }
}
