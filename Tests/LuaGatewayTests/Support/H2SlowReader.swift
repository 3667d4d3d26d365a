import Foundation

/// An HTTP/2 client in Python (`h2`) that reads a streamed response slowly: it grants a
/// 16 KiB stream window and does not give it back until it has received that much, then, on
/// the same connection, asks `progressPath` how far the application got meanwhile; then it
/// reads the rest, granting as it goes. What HTTP/2 flow control holds back is the difference.
enum H2SlowReader {
    private static let script = #"""
        import json, socket, sys
        import h2.config, h2.connection, h2.events, h2.settings
        port, path, progress_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        window = 16384
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.local_settings = h2.settings.Settings(client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        conn.initiate_connection()
        def get(p):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, [(":method", "GET"), (":path", p), (":scheme", "http"),
                                       (":authority", f"127.0.0.1:{port}")], end_stream=True)
            sock.sendall(conn.data_to_send())
            return stream
        body, bodies, ended, unacknowledged, progress = get(path), {}, set(), 0, None
        while body not in ended:
            for event in conn.receive_data(sock.recv(65536)):
                if isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
                    if event.stream_id == body and progress is None:
                        unacknowledged += event.flow_controlled_length
                    else:
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    ended.add(event.stream_id)
            if progress is None and unacknowledged >= window:
                asked = get(progress_path)
                while asked not in ended:
                    for event in conn.receive_data(sock.recv(65536)):
                        if isinstance(event, h2.events.DataReceived):
                            bodies[asked] = bodies.get(asked, b"") + event.data
                            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                        elif isinstance(event, h2.events.StreamEnded):
                            ended.add(event.stream_id)
                progress = bodies[asked].decode()
                conn.acknowledge_received_data(unacknowledged, body)
            sock.sendall(conn.data_to_send())
        print(json.dumps({"progress": progress, "length": len(bodies[body])}))
        """#

    /// How far the application had got when the client had taken one window, and the whole body's length.
    struct Result: Decodable {
        let progress: String?
        let length: Int
    }

    static func read(port: Int, path: String, progressPath: String) throws -> Result {
        try runPythonJSON(script, [String(port), path, progressPath])
    }
}
