#if canImport(Glibc)
import Glibc
#endif

/// The current second of UTC, broken down, for text formatted once per second (the Date
/// header, the access log's timestamp).
struct UTCSecond {
    private var second: time_t = 0

    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The broken-down time when a new second has begun since the last call, else nil.
    mutating func ifChanged() -> tm? {
        var now = time(nil)
        guard now != second else { return nil }
        second = now
        var parts = tm()
        gmtime_r(&now, &parts)
        return parts
    }
}
