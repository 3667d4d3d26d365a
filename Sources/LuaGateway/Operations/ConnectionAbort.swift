internal import CLuaGatewayBridge

/// What luagw.ngx's `ngx.exit(444)` closes: the request's connection (an HTTP/2 stream, reset).
protocol ConnectionAborting: AnyObject {
    /// Closes at once, without a response (or with the one started cut short).
    func abortConnection()
}

/// `ngx.exit(444)` (and `ngx.ERROR`, 408, 499), as nginx ends a request with them: the connection
/// closes without a response. Answers `false` where the request has no connection (a light
/// thread, a timer, `luagw cgi`).
enum ConnectionAbort {
    static let number = Int(LUAGW_OPERATION_ABORT.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let connection = context.connection else { return answer([.boolean(false)], completion) }
        connection.abortConnection()
        return answer([.boolean(true)], completion)
    }
}
