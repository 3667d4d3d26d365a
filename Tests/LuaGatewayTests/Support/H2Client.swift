import Foundation

/// An HTTP/2 client in Python (the `h2` package; scripts/test installs it) that opens one
/// prior-knowledge h2c connection to 127.0.0.1, sends every request at once, each on a stream
/// of its own, and returns each path's answer (`status`, `body`, or `reset` with the error code)
/// and the server's SETTINGS_MAX_CONCURRENT_STREAMS. Where curl can do it, tests use curl.
enum H2Client {
    private static let script = #"""
        import json, socket, sys
        import h2.config, h2.connection, h2.events
        port, paths = int(sys.argv[1]), sys.argv[2:]
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000})
        streams, answers, settings = {}, {}, {}
        for path in paths:
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, [(":method", "GET"), (":path", path), (":scheme", "http"),
                                       (":authority", f"127.0.0.1:{port}")], end_stream=True)
            streams[stream] = path
            answers[path] = {"body": ""}
        sock.sendall(conn.data_to_send())
        done = 0
        while done < len(paths):
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RemoteSettingsChanged):
                    for code, setting in event.changed_settings.items():
                        settings[int(code)] = setting.new_value
                elif isinstance(event, h2.events.ResponseReceived):
                    answers[streams[event.stream_id]]["status"] = dict(event.headers)[b":status"].decode()
                elif isinstance(event, h2.events.DataReceived):
                    answers[streams[event.stream_id]]["body"] += event.data.decode()
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    done += 1
                elif isinstance(event, h2.events.StreamReset):
                    answers[streams[event.stream_id]]["reset"] = str(int(event.error_code))
                    done += 1
            sock.sendall(conn.data_to_send())
        print(json.dumps({"answers": answers, "max_streams": settings.get(3)}))
        """#

    /// What the server answered, path by path, and the concurrency it advertised.
    struct Result: Decodable {
        let answers: [String: [String: String]]
        let max_streams: Int?
    }

    static func get(port: Int, paths: [String]) throws -> Result {
        try runPythonJSON(script, [String(port)] + paths)
    }
}
