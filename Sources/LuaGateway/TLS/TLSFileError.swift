/// Why a certificate or key file was refused: at start-up luagw stops with it, at a reload the
/// old certificate stays and it is logged. It names the flag and the file.
public struct TLSFileError: Error, CustomStringConvertible {
    /// `--tls-cert` or `--tls-key`.
    public let flag: String
    public let path: String
    /// What is wrong with it.
    public let problem: String

    public var description: String { "\(flag) \(path): \(problem)" }
}
