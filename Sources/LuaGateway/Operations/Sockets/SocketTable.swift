import NIOCore

/// The outbound connections of one event loop (SPEC 7): those requests hold, by handle, each
/// owned by the request that opened it; and those kept alive for reuse, by pool key
/// (`host:port`, or the caller's `pool` option), most recently used last.
final class SocketTable {
    /// A request: its runner's context and its number there.
    struct Owner: Equatable {
        let context: ObjectIdentifier
        let request: Int
    }

    private var open: [Int: (connection: OutboundConnection, owner: Owner)] = [:]
    private var nextHandle = 0
    private var pools: [String: [OutboundConnection]] = [:]
    /// What `sslhandshake` encrypts with (SPEC 11).
    let tls: TLSClientContexts

    init(tls: TLSClientContexts = .system) {
        self.tls = tls
    }

    /// Connections held by requests now, and idle in pools (for tests and diagnostics).
    var counts: (open: Int, idle: Int) { (open.count, pools.values.reduce(0) { $0 + $1.count }) }

    /// Hands `connection` to `owner`; its handle.
    func add(_ connection: OutboundConnection, owner: Owner) -> Int {
        nextHandle += 1
        open[nextHandle] = (connection, owner)
        return nextHandle
    }

    /// The connection of `handle`, if `owner` holds it.
    func connection(_ handle: Int, owner: Owner) -> OutboundConnection? {
        guard let entry = open[handle], entry.owner == owner else { return nil }
        return entry.connection
    }

    /// Forgets `handle` (closed, or put in a pool).
    func remove(_ handle: Int) {
        open[handle] = nil
    }

    /// An idle connection of pool `key`, if one is still open.
    func takeIdle(_ key: String) -> OutboundConnection? {
        while let connection = pools[key]?.popLast() {
            if !connection.isClosed && !connection.hasUnreadBytes {
                connection.reuse()
                return connection
            }
            connection.close()
        }
        return nil
    }

    /// Keeps `connection` for reuse under `key`, at most `size` there (the least recently
    /// used closes), closed after `idle` unused.
    func keepAlive(_ connection: OutboundConnection, key: String, idle: TimeAmount, size: Int) {
        pools[key, default: []].append(connection)  // in place: no copy of the pool
        while let count = pools[key]?.count, count > max(1, size) { pools[key]?.removeFirst().close() }
        connection.idle(in: self, key: key, for: idle)
    }

    /// Forgets a pooled connection that closed itself (idle too long).
    func forget(_ connection: OutboundConnection, key: String) {
        pools[key]?.removeAll { $0 === connection }
    }
}
