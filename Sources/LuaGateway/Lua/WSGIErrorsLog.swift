internal import CLuaGatewayBridge
import Logging

/// Where `wsgi.errors` lines go (SPEC 2): the error log of `luagw serve`, standard error under
/// `luagw cgi` (the host's error log). The C side holds one log function for the process.
/// The lines are the application's, not luagw's: their own level (`notice`, between luagw's
/// `info` and `warning`) and source (`app /MOUNT`), tagged with the request id.
enum WSGIErrorsLog {
    private static let box = LoggerBox()

    /// Sends every wsgi.errors line to `logger` from now on.
    static func route(to logger: Logger) {
        box.logger = logger
        luagw_set_log_function { id, mount, message in
            func text(_ bytes: luagw_bytes) -> String {
                String(decoding: UnsafeRawBufferPointer(start: bytes.data, count: bytes.length), as: UTF8.self)
            }
            let where_ = mount.length == 0 ? "app" : "app " + text(mount)
            WSGIErrorsLog.box.logger?.notice("\(text(message))", metadata: ["request_id": "\(text(id))"], source: where_)
        }
    }
}

/// The logger that wsgi.errors lines go to; set at start-up, before any request.
private final class LoggerBox: @unchecked Sendable {
    var logger: Logger?
}
