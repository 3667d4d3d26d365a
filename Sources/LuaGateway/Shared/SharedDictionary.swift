import NIOCore

/// A value a shared dictionary keeps (SPEC 7).
enum SharedValue: Equatable {
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case bytes([UInt8])

    /// Bytes it counts against the dictionary's capacity.
    var size: Int {
        if case .bytes(let bytes) = self { return bytes.count + 8 }
        return 8
    }
}

/// One shared dictionary (`luagw.shared.NAME`): entries with optional expiry, at most
/// `capacity` bytes of keys and values (plus a small fixed cost per entry), the least
/// recently used evicted past it. Not thread-safe: `SharedDictionaries` locks around it.
final class SharedDictionary {
    private final class Entry {
        let key: [UInt8]
        var value: SharedValue
        /// When it expires (monotonic nanoseconds); nil: never.
        var expires: UInt64?
        var newer: Entry?
        weak var older: Entry?

        init(key: [UInt8], value: SharedValue, expires: UInt64?) {
            self.key = key
            self.value = value
            self.expires = expires
        }

        var size: Int { key.count + value.size + SharedDictionary.entryCost }
    }

    /// What each entry costs besides its key and value.
    static let entryCost = 48

    let capacity: Int
    private var entries: [[UInt8]: Entry] = [:]
    private var used = 0
    /// The least and the most recently used entry.
    private var oldest: Entry?
    private var newest: Entry?

    init(capacity: Int) {
        self.capacity = capacity
    }

    private static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    private static func expiry(_ ttl: Double?) -> UInt64? {
        guard let ttl, ttl > 0 else { return nil }
        return now() + UInt64(min(ttl, 1e9) * 1e9)
    }

    /// The live entry of `key` (an expired one is removed), made the most recently used.
    private func live(_ key: [UInt8]) -> Entry? {
        guard let entry = entries[key] else { return nil }
        if let expires = entry.expires, expires <= Self.now() {
            remove(entry)
            return nil
        }
        touch(entry)
        return entry
    }

    func get(_ key: [UInt8]) -> SharedValue? {
        live(key)?.value
    }

    enum StoreMode { case set, add, replace }

    enum StoreResult: Equatable {
        case stored(forcible: Bool)
        case exists
        case notFound
        case tooLarge
    }

    /// Stores `value` under `key` (nil deletes), as `set`, `add` or `replace`.
    func store(_ key: [UInt8], _ value: SharedValue?, ttl: Double?, mode: StoreMode) -> StoreResult {
        let existing = live(key)
        switch mode {
        case .add where existing != nil: return .exists
        case .replace where existing == nil: return .notFound
        default: break
        }
        guard let value else {
            if let existing { remove(existing) }
            return .stored(forcible: false)
        }
        if let existing { remove(existing) }
        let entry = Entry(key: key, value: value, expires: Self.expiry(ttl))
        guard entry.size <= capacity else { return .tooLarge }
        let forcible = makeRoom(for: entry.size)
        insert(entry)
        return .stored(forcible: forcible)
    }

    enum IncrResult: Equatable {
        case value(SharedValue, forcible: Bool)
        case notFound
        case notANumber
    }

    /// Adds `delta` to the number under `key`; `initial` (with `ttl`) when it is missing.
    func increment(_ key: [UInt8], by delta: SharedValue, initial: SharedValue?, ttl: Double?) -> IncrResult {
        guard let entry = live(key) else {
            guard let initial, let sum = Self.add(initial, delta) else { return initial == nil ? .notFound : .notANumber }
            if case .stored(let forcible) = store(key, sum, ttl: ttl, mode: .set) { return .value(sum, forcible: forcible) }
            return .notFound
        }
        guard let sum = Self.add(entry.value, delta) else { return .notANumber }
        entry.value = sum
        return .value(sum, forcible: false)
    }

    private static func add(_ a: SharedValue, _ b: SharedValue) -> SharedValue? {
        switch (a, b) {
        case (.integer(let x), .integer(let y)):
            let (sum, overflow) = x.addingReportingOverflow(y)
            return overflow ? .number(Double(x) + Double(y)) : .integer(sum)
        case (.integer(let x), .number(let y)): return .number(Double(x) + y)
        case (.number(let x), .integer(let y)): return .number(x + Double(y))
        case (.number(let x), .number(let y)): return .number(x + y)
        default: return nil
        }
    }

    /// Seconds left before `key` expires (0: it never does); nil when it is missing.
    func ttl(_ key: [UInt8]) -> Double? {
        guard let entry = live(key) else { return nil }
        guard let expires = entry.expires else { return 0 }
        return Double(expires - min(expires, Self.now())) / 1e9
    }

    /// Sets `key`'s expiry (0: never); false when it is missing.
    func expire(_ key: [UInt8], ttl: Double) -> Bool {
        guard let entry = live(key) else { return false }
        entry.expires = Self.expiry(ttl)
        return true
    }

    /// Up to `max` live keys (0: all), most recently used first.
    func keys(max: Int) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var entry = newest
        let now = Self.now()
        while let current = entry, max == 0 || result.count < max {
            if current.expires.map({ $0 > now }) ?? true { result.append(current.key) }
            entry = current.older
        }
        return result
    }

    func flushAll() {
        entries.removeAll()
        used = 0
        oldest = nil
        newest = nil
    }

    // MARK: the recency list

    /// Evicts the least recently used entries until `size` more bytes fit; whether any went.
    private func makeRoom(for size: Int) -> Bool {
        var evicted = false
        while used + size > capacity, let victim = oldest {
            remove(victim)
            evicted = true
        }
        return evicted
    }

    private func insert(_ entry: Entry) {
        entries[entry.key] = entry
        used += entry.size
        link(entry)
    }

    private func remove(_ entry: Entry) {
        unlink(entry)
        entries[entry.key] = nil
        used -= entry.size
    }

    private func touch(_ entry: Entry) {
        guard newest !== entry else { return }
        unlink(entry)
        link(entry)
    }

    private func link(_ entry: Entry) {
        entry.older = newest
        entry.newer = nil
        newest?.newer = entry
        newest = entry
        if oldest == nil { oldest = entry }
    }

    private func unlink(_ entry: Entry) {
        if let older = entry.older { older.newer = entry.newer } else { oldest = entry.newer }
        if let newer = entry.newer { newer.older = entry.older } else { newest = entry.older }
        entry.newer = nil
        entry.older = nil
    }
}
