import NIOCore

/// Request ids (SPEC 5): the client's (or proxy's) `X-Request-Id` when it is 1-128
/// characters of `[A-Za-z0-9._:-]`, else one made here: a random prefix per worker and a
/// counter, unique in the process. The id is in environ, the access log and every log line.
struct RequestIDs {
    private let prefix: String
    private var counter: UInt64 = 0

    /// Ids for the worker of index `worker`.
    init(worker: Int) {
        let random = UInt32.random(in: 0...UInt32.max)
        self.prefix = String(random, radix: 16) + "-" + String(worker, radix: 16) + "-"
    }

    /// Writes the request's id into `buffer`: `given` when it is valid, else a new one.
    mutating func write(given: String?, into buffer: inout ByteBuffer) {
        if let given, Self.isValid(given) {
            buffer.writeString(given)
            return
        }
        counter &+= 1
        buffer.writeString(prefix)
        buffer.writeDigits(counter, radix: 16)
    }

    /// Whether a given id is honoured.
    static func isValid(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: ":"):
                true
            default:
                false
            }
        }
    }
}
