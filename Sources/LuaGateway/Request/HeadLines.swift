/// The lines of a head, without their CRLF.
struct HeadLines {
    let raw: UnsafeRawBufferPointer
    var position = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    mutating func next() -> Range<Int>? {
        guard position < raw.count else { return nil }
        var end = position
        while end < raw.count, raw[end] != HTTPSyntax.lf { end += 1 }
        defer { position = end + 1 }
        return position..<max(position, end - 1)
    }
}
