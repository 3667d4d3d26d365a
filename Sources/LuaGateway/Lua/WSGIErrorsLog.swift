internal import CLuaGatewayBridge
import Logging

/// Where `wsgi.errors` lines go (SPEC 2): the error log of `luagw serve`, standard error under
/// `luagw cgi` (the host's error log). The C side holds one log function for the process.
enum WSGIErrorsLog {
    private static let box = LoggerBox()

    /// Sends every wsgi.errors line, tagged with its request id, to `logger` from now on.
    static func route(to logger: Logger) {
        box.logger = logger
        luagw_set_log_function { id, message in
            let request = String(decoding: UnsafeRawBufferPointer(start: id.data, count: id.length), as: UTF8.self)
            let text = String(decoding: UnsafeRawBufferPointer(start: message.data, count: message.length), as: UTF8.self)
            WSGIErrorsLog.box.logger?.warning("\(text)", metadata: ["request_id": "\(request)", "source": "wsgi.errors"])
        }
    }
}

/// The logger that wsgi.errors lines go to; set at start-up, before any request.
private final class LoggerBox: @unchecked Sendable {
    var logger: Logger?
}
