/// luagw.ngx's `ngx.exit(444)`: the connection closes now, whatever the request sent.
extension HTTPConnectionHandler: ConnectionAborting {
    func abortConnection() {
        exchange.keepAlive = false
        closeConnection()
    }
}
