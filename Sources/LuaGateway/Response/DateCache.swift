import NIOCore

/// The `Date` header line of the current second, formatted once per second (IMF-fixdate).
struct DateCache {
    private var clock = UTCSecond()
    private var line = ByteBuffer()

    /// "Date: Tue, 15 Nov 1994 08:12:31 GMT\r\n" for now.
    mutating func headerLine() -> ByteBuffer {
        if let parts = clock.ifChanged() {
            func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let text = "Date: \(UTCSecond.days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(UTCSecond.months[Int(parts.tm_mon)]) "
                + "\(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT\r\n"
            line = ByteBuffer(string: text)
        }
        return line
    }
}
