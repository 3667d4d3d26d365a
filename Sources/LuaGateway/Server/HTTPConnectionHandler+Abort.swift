/// luagw.ngx's `ngx.exit(444)`: the connection closes once what the request sent went out (a
/// response it started is cut there); nothing more is written.
extension HTTPConnectionHandler: ConnectionAborting {
    func abortConnection() {
        exchange.keepAlive = false
        guard let written = writer.writesDone() else { return closeConnection() }
        writer.context = nil
        written.whenComplete { [weak self] _ in self?.closeConnection() }
    }
}
