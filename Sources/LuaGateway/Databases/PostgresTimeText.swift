/// PostgreSQL's binary dates and timestamps as text: a timestamp (with or without time zone,
/// microseconds since 2000-01-01 00:00 UTC) as ISO 8601 in UTC with microseconds
/// (`2026-12-07T10:00:00.123456+00:00`), a date (days since 2000-01-01) as `2026-12-07`.
enum PostgresTimeText {
    /// Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
    private static let epochDays: Int64 = 10957

    static func timestamp(_ microseconds: Int64) -> String {
        if microseconds == .max { return "infinity" }
        if microseconds == .min { return "-infinity" }
        let perDay: Int64 = 86_400_000_000
        var days = microseconds / perDay
        var time = microseconds % perDay
        if time < 0 { (days, time) = (days - 1, time + perDay) }
        let seconds = time / 1_000_000
        return civil(days) + "T" + two(seconds / 3600) + ":" + two(seconds / 60 % 60) + ":" + two(seconds % 60)
            + "." + padded(time % 1_000_000, 6) + "+00:00"
    }

    static func date(_ days: Int32) -> String {
        if days == .max { return "infinity" }
        if days == .min { return "-infinity" }
        return civil(Int64(days))
    }

    /// `YYYY-MM-DD` of a day counted from 2000-01-01 (proleptic Gregorian, as Howard Hinnant's
    /// days_from_civil inverse).
    private static func civil(_ days: Int64) -> String {
        let z = days + epochDays + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return padded(year, 4) + "-" + two(month) + "-" + two(day)
    }

    private static func two(_ value: Int64) -> String { padded(value, 2) }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
