internal import CLuaGatewayBridge
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `luagw.shared` (SPEC 7): dictionaries shared by every state and worker of the process,
/// made on first use, each holding at most `capacity` bytes; they live as long as the
/// process, so they survive reloads. Lua reaches them through one C function (helpers.c's
/// `shared`) that calls `entryPoint` synchronously: no yield, so they work anywhere.
enum SharedDictionaries {
    private static let lock = NIOLock()
    nonisolated(unsafe) private static var dictionaries: [[UInt8]: SharedDictionary] = [:]
    nonisolated(unsafe) private static var capacity = 1 << 20

    /// Sets each dictionary's capacity (`--shared-capacity`) and makes the C side call here.
    /// Dictionaries made before keep theirs.
    static func setUp(capacity: Int) {
        lock.withLock { Self.capacity = capacity }
        luagw_set_shared_function(entryPoint)
    }

    /// Runs `body` on the dictionary `name` under the lock.
    static func with<R>(_ name: [UInt8], _ body: (SharedDictionary) -> R) -> R {
        lock.withLock {
            let dictionary = dictionaries[name] ?? {
                let made = SharedDictionary(capacity: capacity)
                dictionaries[name] = made
                return made
            }()
            return body(dictionary)
        }
    }

    /// Bytes of a string result, kept until the thread's next call (C copies them at once).
    private final class Scratch { var bytes: [UInt8] = [] }
    private static let scratch = ThreadSpecificVariable<Scratch>()

    private static let entryPoint: luagw_shared_function = { op, args, nargs, results in
        guard let args, let results, nargs >= 2 else { return 0 }
        let arguments = UnsafeBufferPointer(start: args, count: Int(nargs))
        let name = bytes(arguments[0]), key = bytes(arguments[1])
        let answer: [SharedAnswer] = with(name) { dictionary in
            SharedDictionaries.run(op, on: dictionary, key: key, arguments: arguments)
        }
        let box = scratch.currentValue ?? {
            let made = Scratch()
            scratch.currentValue = made
            return made
        }()
        box.bytes.removeAll(keepingCapacity: true)
        for item in answer { if case .value(.bytes(let b)) = item { box.bytes = b } }
        for (i, item) in answer.prefix(Int(LUAGW_SHARED_RESULTS)).enumerated() {
            results[i] = item.luaValue(bytes: box.bytes)
        }
        return Int32(min(answer.count, Int(LUAGW_SHARED_RESULTS)))
    }

    private static func bytes(_ value: luagw_value) -> [UInt8] {
        switch value.type {
        case LUA_TSTRING:
            guard let data = value.bytes.data else { return [] }
            return Array(UnsafeRawBufferPointer(start: data, count: value.bytes.length))
        case LUA_TNUMBER:
            return Array((value.is_integer != 0 ? String(value.integer) : String(value.number)).utf8)
        default:
            return []
        }
    }

    private static func value(_ v: luagw_value) -> SharedValue? {
        switch v.type {
        case LUA_TBOOLEAN: return .boolean(v.integer != 0)
        case LUA_TNUMBER: return v.is_integer != 0 ? .integer(Int64(v.integer)) : .number(v.number)
        case LUA_TSTRING: return .bytes(bytes(v))
        default: return nil
        }
    }

    private static func number(_ v: luagw_value) -> Double? {
        guard v.type == LUA_TNUMBER else { return nil }
        return v.is_integer != 0 ? Double(v.integer) : v.number
    }

    /// One operation's results, in OpenResty's conventions.
    private static func run(_ op: Int32, on dictionary: SharedDictionary, key: [UInt8],
                            arguments: UnsafeBufferPointer<luagw_value>) -> [SharedAnswer] {
        func argument(_ i: Int) -> luagw_value? { i < arguments.count ? arguments[i] : nil }
        switch luagw_shared_op(UInt32(op)) {
        case LUAGW_SHARED_GET:
            return [dictionary.get(key).map(SharedAnswer.value) ?? .nil]
        case LUAGW_SHARED_SET, LUAGW_SHARED_ADD, LUAGW_SHARED_REPLACE:
            let mode: SharedDictionary.StoreMode = switch luagw_shared_op(UInt32(op)) {
            case LUAGW_SHARED_ADD: .add
            case LUAGW_SHARED_REPLACE: .replace
            default: .set
            }
            let stored = dictionary.store(key, argument(2).flatMap(value), ttl: argument(3).flatMap(number), mode: mode)
            switch stored {
            case .stored(let forcible): return [.boolean(true), .nil, .boolean(forcible)]
            case .exists: return [.boolean(false), .text("exists"), .boolean(false)]
            case .notFound: return [.boolean(false), .text("not found"), .boolean(false)]
            case .tooLarge: return [.boolean(false), .text("no memory"), .boolean(false)]
            }
        case LUAGW_SHARED_INCR:
            guard let delta = argument(2).flatMap(value) else { return [.nil, .text("not a number")] }
            switch dictionary.increment(key, by: delta, initial: argument(3).flatMap(value), ttl: argument(4).flatMap(number)) {
            case .value(let v, let forcible): return [.value(v), .nil, .boolean(forcible)]
            case .notFound: return [.nil, .text("not found")]
            case .notANumber: return [.nil, .text("not a number")]
            }
        case LUAGW_SHARED_TTL:
            guard let left = dictionary.ttl(key) else { return [.nil, .text("not found")] }
            return [.value(left == 0 ? .integer(0) : .number(left))]
        case LUAGW_SHARED_EXPIRE:
            return dictionary.expire(key, ttl: argument(2).flatMap(number) ?? 0) ? [.boolean(true)] : [.nil, .text("not found")]
        case LUAGW_SHARED_KEYS:
            var packed: [UInt8] = []
            let max = argument(2).flatMap(number).map { Int($0) } ?? 1024  // name, "" (no key), max
            for key in dictionary.keys(max: max) {
                withUnsafeBytes(of: UInt32(key.count).littleEndian) { packed += $0 }
                packed += key
            }
            return [.value(.bytes(packed))]
        case LUAGW_SHARED_FLUSH:
            dictionary.flushAll()
            return []
        default:
            return []
        }
    }
}

/// One result of a shared-dictionary operation, before it becomes a `luagw_value`.
private enum SharedAnswer {
    case `nil`
    case boolean(Bool)
    case text(StaticString)
    case value(SharedValue)

    /// The value for C; a `.bytes` value's bytes are `scratch` (the one string result).
    func luaValue(bytes scratch: [UInt8]) -> luagw_value {
        var v = luagw_value()
        switch self {
        case .nil:
            v.type = LUA_TNIL
        case .boolean(let b):
            v.type = LUA_TBOOLEAN
            v.integer = b ? 1 : 0
        case .text(let text):
            v.type = LUA_TSTRING
            v.bytes = luagw_bytes(data: UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self),
                                  length: text.utf8CodeUnitCount)
        case .value(.boolean(let b)):
            v.type = LUA_TBOOLEAN
            v.integer = b ? 1 : 0
        case .value(.integer(let n)):
            v.type = LUA_TNUMBER
            v.is_integer = 1
            v.integer = lua_Integer(n)
        case .value(.number(let n)):
            v.type = LUA_TNUMBER
            v.number = n
        case .value(.bytes):
            v.type = LUA_TSTRING
            v.bytes = scratch.withUnsafeBytes { luagw_bytes(data: $0.baseAddress?.assumingMemoryBound(to: CChar.self), length: $0.count) }
        }
        return v
    }
}
