import Foundation

/// Steady load through nginx for the restart tests: keep-alive clients, half of them POSTing
/// (nginx does not retry a request that is not idempotent once sent, so a request lost by a
/// restart shows), each sending its next request as soon as the last was answered. Counts the
/// answers by body (which process or release served) and keeps every failure.
final class NginxLoad {
    private let lock = NSLock()
    private var served: [String: Int] = [:]
    private var failures: [String] = []
    private var stopping = false
    private let finished = DispatchGroup()

    init(port: Int, path: String, clients: Int = 4) {
        for index in 0..<clients {
            let request = index % 2 == 0 ? "GET \(path) HTTP/1.1\r\nHost: example.org\r\n\r\n"
                : "POST \(path) HTTP/1.1\r\nHost: example.org\r\nContent-Length: 5\r\n\r\nhello"
            finished.enter()
            Thread { [self] in
                defer { finished.leave() }
                var client: RawClient?
                while !lock.withLock({ stopping }) {
                    do {
                        if client == nil { client = try RawClient(port: port, timeout: 20) }
                        let response = try client!.request(request)
                        lock.withLock {
                            if response.code == 200 { served[response.text, default: 0] += 1 }
                            else { failures.append("\(response.statusLine): \(response.text)") }
                        }
                        if response.header("Connection") == "close" { client = nil }
                    } catch {
                        lock.withLock { failures.append("\(error)") }
                        client = nil
                    }
                }
            }.start()
        }
    }

    /// Requests answered 200 with `body` so far.
    func served(_ body: String) -> Int { lock.withLock { served[body] ?? 0 } }

    /// Stops the clients, waits for their last requests; what they counted.
    @discardableResult
    func stop() -> (served: [String: Int], failures: [String]) {
        lock.withLock { stopping = true }
        finished.wait()
        return lock.withLock { (served, failures) }
    }
}
