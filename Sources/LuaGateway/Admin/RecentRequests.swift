/// The last minute of one worker's requests, for /status: how many ended in each second and a
/// histogram of how long they took (log-scale bins, four for each power of two of
/// microseconds), in 60 rotating one-second slots. Recording allocates nothing.
struct RecentRequests {
    static let slots = 60
    /// 1 µs to 2^27 µs (over two minutes); longer goes in the last bin.
    static let bins = 4 * 27

    private var seconds = [Int64](repeating: -1, count: slots)
    private var counts = [Int](repeating: 0, count: slots)
    private var histograms = [UInt32](repeating: 0, count: slots * bins)

    /// A request that ended in second `second` (of the monotonic clock) and took `nanoseconds`.
    mutating func record(second: Int64, nanoseconds: Int64) {
        let slot = Int(second % Int64(Self.slots))
        if seconds[slot] != second {
            seconds[slot] = second
            counts[slot] = 0
            for bin in slot * Self.bins..<(slot + 1) * Self.bins { histograms[bin] = 0 }
        }
        counts[slot] += 1
        histograms[slot * Self.bins + Self.bin(of: nanoseconds)] += 1
    }

    static func bin(of nanoseconds: Int64) -> Int {
        let micros = UInt64(max(1, nanoseconds / 1000))
        let power = 63 - micros.leadingZeroBitCount
        let quarter = power >= 2 ? Int((micros >> UInt64(power - 2)) & 3) : 0
        return min(bins - 1, power * 4 + quarter)
    }

    /// The longest duration that goes in `bin`, in seconds.
    static func upperBound(of bin: Int) -> Double {
        let power = bin / 4, quarter = bin % 4
        return Double(1 << power) * (1 + Double(quarter + 1) / 4) / 1e6
    }

    /// Requests that ended in the 60 seconds up to `second`, and their durations' histogram,
    /// added to `histogram` (`bins` long).
    func lastMinute(upTo second: Int64, into histogram: inout [UInt32]) -> Int {
        var count = 0
        for slot in 0..<Self.slots where seconds[slot] > second - Int64(Self.slots) && seconds[slot] <= second {
            count += counts[slot]
            for bin in 0..<Self.bins { histogram[bin] += histograms[slot * Self.bins + bin] }
        }
        return count
    }

    /// The duration under which `fraction` of the histogram's requests ended (a bin's upper bound).
    static func percentile(_ fraction: Double, of histogram: [UInt32]) -> Double? {
        let total = histogram.reduce(0) { $0 + Int($1) }
        guard total > 0 else { return nil }
        let rank = max(1, Int((fraction * Double(total)).rounded(.up)))
        var seen = 0
        for (bin, count) in histogram.enumerated() {
            seen += Int(count)
            if seen >= rank { return upperBound(of: bin) }
        }
        return upperBound(of: bins - 1)
    }
}
