/// `--admin-token` (SPEC 10): the bearer token every admin request must carry
/// (`Authorization: Bearer TOKEN`), compared in constant time so that the time an answer takes
/// tells nothing of how much of a guess was right.
struct AdminToken: Sendable {
    private let expected: [UInt8]

    init(_ token: String) {
        expected = Array(token.utf8)
    }

    /// Whether an `Authorization` field value is `Bearer` (any case) and this token.
    func admits(_ authorization: String?) -> Bool {
        guard let authorization, let space = authorization.firstIndex(of: " "),
              authorization[..<space].lowercased() == "bearer" else { return false }
        let given = Array(authorization[space...].utf8.drop { $0 == UInt8(ascii: " ") })
        return !given.isEmpty && Self.equalInConstantTime(given, expected)
    }

    /// Compares every byte of `expected` whatever `given` is: the time depends on the token's
    /// length alone.
    static func equalInConstantTime(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference: UInt8 = given.count == expected.count ? 0 : 1
        for index in expected.indices {
            let other = given.isEmpty ? 0 : given[index % given.count]
            difference |= other ^ expected[index]
        }
        return difference == 0
    }
}
