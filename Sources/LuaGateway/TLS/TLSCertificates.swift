import Logging
import NIOConcurrencyHelpers
import NIOSSL

/// The listener's certificate (SPEC 11): the `NIOSSLContext` that each new TLS connection takes
/// when it is accepted, replaced whole when the files are read again (SIGHUP, or the reloader's
/// look at the files). A connection keeps the context it was made with, so open connections go
/// on with the old certificate while new ones get the new; a reload that fails keeps the old.
///
/// Why a swapped reference rather than swift-nio-ssl's per-handshake context callback: the new
/// context is built and checked (key against certificate) once, off the event loops, and a
/// connection pays one uncontended lock when accepted, where the callback would set the
/// certificate and key again on every handshake.
final class TLSCertificates: @unchecked Sendable {
    let files: TLSFiles
    private let current: NIOLockedValueBox<NIOSSLContext>
    /// The files as they were when last read, and as the previous look saw them; on the reload queue only.
    private var loaded: TLSFileStamp
    private var lastLook: TLSFileStamp

    /// Reads the files; throws a `TLSFileError` naming the file that is wrong.
    init(files: TLSFiles) throws {
        self.files = files
        loaded = TLSFileStamp(files)
        lastLook = loaded
        current = NIOLockedValueBox(try TLSContextBuilder.context(for: files))
    }

    /// The context a connection accepted now is made with.
    var context: NIOSSLContext { current.withLockedValue { $0 } }

    /// Reads the files again and swaps the context in; on failure the old one stays and the
    /// error is logged. Whether the new one came in.
    @discardableResult
    func reload(reason: String, logger: Logger) -> Bool {
        loaded = TLSFileStamp(files)
        lastLook = loaded
        do {
            let context = try TLSContextBuilder.context(for: files)
            current.withLockedValue { $0 = context }
            logger.info("reload after \(reason): TLS certificate read again from \(files.certificate)")
            return true
        } catch {
            logger.error("reload after \(reason): the TLS certificate in use stays: \(error)")
            return false
        }
    }

    /// Reads the files again when they changed and have stayed as they are since the previous
    /// look (a renewal writes the certificate and the key one after the other).
    func reloadIfChanged(logger: Logger) {
        let now = TLSFileStamp(files)
        defer { lastLook = now }
        guard now != loaded, now == lastLook else { return }
        reload(reason: "a change of the certificate files", logger: logger)
    }
}
