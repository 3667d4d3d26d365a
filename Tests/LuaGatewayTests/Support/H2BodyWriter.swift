import Foundation

/// An HTTP/2 client in Python (`h2`) that sends a large request body as fast as the server's
/// flow-control windows allow, until the server grants no more for two seconds; then, on the
/// same connection, it GETs `releasePath` (which lets the application read), sends the rest,
/// and reads the answer. `held` is how much got through before the server stopped granting.
enum H2BodyWriter {
    private static let script = #"""
        import json, socket, sys
        import h2.config, h2.connection, h2.events
        port, path, release_path, total = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        def start(method, p, end):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, [(":method", method), (":path", p), (":scheme", "http"),
                                       (":authority", f"127.0.0.1:{port}")], end_stream=end)
            sock.sendall(conn.data_to_send())
            return stream
        bodies, ended = {}, set()
        def receive():
            for event in conn.receive_data(sock.recv(65536)):
                if isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    ended.add(event.stream_id)
            sock.sendall(conn.data_to_send())
        def send(stream, sent, until_stalled):
            while sent < total:
                window = min(conn.local_flow_control_window(stream), conn.max_outbound_frame_size)
                if window > 0:
                    count = min(window, total - sent)
                    conn.send_data(stream, b"x" * count, end_stream=sent + count == total)
                    sock.sendall(conn.data_to_send())
                    sent += count
                    continue
                sock.settimeout(2 if until_stalled else 30)
                try:
                    receive()
                except socket.timeout:
                    break
            sock.settimeout(30)
            return sent
        body = start("POST", path, False)
        held = send(body, 0, True)
        release = start("GET", release_path, True)
        send(body, held, False)
        while body not in ended or release not in ended:
            receive()
        print(json.dumps({"held": held, "answer": bodies.get(body, b"").decode()}))
        """#

    /// How many bytes the server took before it stopped granting, and the application's answer.
    struct Result: Decodable {
        let held: Int
        let answer: String
    }

    static func post(port: Int, path: String, releasePath: String, bytes: Int) throws -> Result {
        try runPythonJSON(script, [String(port), path, releasePath, String(bytes)])
    }
}
