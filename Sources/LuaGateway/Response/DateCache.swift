import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The `Date` header line of the current second, formatted once per second (IMF-fixdate).
struct DateCache {
    private var second: time_t = 0
    private var line = ByteBuffer()

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// "Date: Tue, 15 Nov 1994 08:12:31 GMT\r\n" for now.
    mutating func headerLine() -> ByteBuffer {
        let now = time(nil)
        if now != second {
            second = now
            var t = now
            var parts = tm()
            gmtime_r(&t, &parts)
            func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let text = "Date: \(Self.days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(Self.months[Int(parts.tm_mon)]) "
                + "\(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT\r\n"
            line = ByteBuffer(string: text)
        }
        return line
    }
}
