import Foundation

/// A client that breaks HTTP/2 on purpose (RFC 9113's error cases): Python packs the frames
/// itself (`struct`, and `hpack` from the `h2` package for field blocks), opens a prior-knowledge
/// h2c connection to 127.0.0.1, sends the preface, its SETTINGS, then the case's frames, and
/// reads what the server does: its GOAWAY's error code, the streams it reset (with their codes)
/// and the statuses it answered. When the connection is still open after the case's stream
/// ended, a plain GET of /env on stream 5 of the same connection says whether it goes on.
enum H2FrameProbe {
    /// The error codes of RFC 9113 section 7 that the tests expect.
    enum ErrorCode: Int {
        case protocolError = 0x1, flowControlError = 0x3, frameSizeError = 0x6, compressionError = 0x9
    }

    private static let script = #"""
        import json, socket, struct, sys
        import hpack
        port, case = int(sys.argv[1]), sys.argv[2]
        DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 2, 3, 4, 6, 7, 8, 9
        END_STREAM, ACK, END_HEADERS, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x20
        encoder, decoder = hpack.Encoder(), hpack.Decoder()

        def frame(kind, flags, stream, payload=b""):
            return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload

        def fields(path="/env", extra=()):
            return [(":method", "GET"), (":scheme", "http"), (":path", path), (":authority", "localhost")] + list(extra)

        def headers(stream, block, end_stream=True):
            return frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0), stream, block)

        def request(stream, listed=None, **kwargs):
            return headers(stream, encoder.encode(listed or fields(), huffman=False), **kwargs)

        def window_update(stream, increment):
            return frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", increment))

        # A stream whose application waits for the body (/echo reads wsgi.input): it stays open.
        def open_stream():
            return request(1, fields("/echo"), end_stream=False)

        cases = {
            "oversized-headers": lambda: request(1, fields(extra=[("x-big", "a" * 20000)])),
            "short-ping": lambda: frame(PING, 0, 0, b"1234567"),
            "data-on-stream-0": lambda: frame(DATA, 0, 0, b"hello"),
            "broken-hpack": lambda: headers(1, b"\xff\x49"),  # indexed field 200: not in any table
            "lone-continuation": lambda: frame(CONTINUATION, END_HEADERS, 1, encoder.encode(fields())),
            "interrupted-headers": lambda: frame(HEADERS, END_STREAM, 1, encoder.encode(fields())) + frame(PING, 0, 0, b"12345678"),
            "zero-window-update-connection": lambda: window_update(0, 0),
            "zero-window-update-stream": lambda: open_stream() + window_update(1, 0),
            "overflowing-window-connection": lambda: window_update(0, 0x7FFFFFFF),
            "overflowing-window-stream": lambda: open_stream() + window_update(1, 0x7FFFFFFF),
            "even-stream": lambda: request(2),
            "self-dependent-headers": lambda: frame(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1,
                                                    struct.pack(">IB", 1, 15) + encoder.encode(fields())),
            "self-dependent-priority": lambda: frame(PRIORITY, 0, 3, struct.pack(">IB", 3, 15)),
            "pseudo-after-regular": lambda: request(1, [(":method", "GET"), ("x-a", "1"), (":scheme", "http"),
                                                        (":path", "/env"), (":authority", "localhost")]),
            "uppercase-name": lambda: request(1, fields(extra=[("X-Upper", "1")])),
            "no-path": lambda: request(1, [(":method", "GET"), (":scheme", "http"), (":authority", "localhost")]),
            "connection-field": lambda: request(1, fields(extra=[("connection", "keep-alive")])),
        }

        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(SETTINGS, 0, 0) + cases[case]())
        result = {"goaway": None, "resets": {}, "status": {}, "ended": [], "closed": False, "timeout": False, "after": None}
        buffer = b""

        def read_frame():
            global buffer
            while len(buffer) < 9 or len(buffer) < 9 + int.from_bytes(buffer[:3], "big"):
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    result["timeout"] = True
                    return None
                except ConnectionResetError:
                    data = b""
                if not data:
                    result["closed"] = True
                    return None
                buffer += data
            length = int.from_bytes(buffer[:3], "big")
            kind, flags, stream = buffer[3], buffer[4], int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
            payload, buffer = buffer[9:9 + length], buffer[9 + length:]
            return kind, flags, stream, payload

        # Reads until the server ends the connection or a stream (reset, or its response ended).
        def settle():
            while (item := read_frame()) is not None:
                kind, flags, stream, payload = item
                if kind == SETTINGS and not flags & ACK:
                    sock.sendall(frame(SETTINGS, ACK, 0))
                elif kind == GOAWAY:
                    result["goaway"] = int.from_bytes(payload[4:8], "big")
                    return False
                elif kind == RST_STREAM:
                    result["resets"][str(stream)] = int.from_bytes(payload[:4], "big")
                    return True
                elif kind == HEADERS:
                    answered = dict(decoder.decode(payload))
                    if ":status" in answered:
                        result["status"][str(stream)] = answered[":status"]
                if kind in (HEADERS, DATA) and flags & END_STREAM:
                    result["ended"].append(stream)
                    return True
            return False

        if settle():
            sock.sendall(request(5))
            while settle() and 5 not in result["ended"] and "5" not in result["resets"]:
                pass
            result["after"] = result["status"].get("5")
        print(json.dumps(result))
        """#

    /// What the server did: `goaway` its GOAWAY's error code (nil: none), `resets` the streams it
    /// reset with their error codes, `status` the streams it answered, `after` the status of the
    /// GET sent on the same connection after the case (nil: the connection had ended).
    struct Result: Decodable, CustomStringConvertible {
        let goaway: Int?
        let resets: [String: Int]
        let status: [String: String]
        let closed: Bool
        let timeout: Bool
        let after: String?

        var description: String {
            "goaway \(goaway.map(String.init) ?? "none"), resets \(resets), status \(status), closed \(closed), "
                + "timeout \(timeout), after \(after ?? "none")"
        }
    }

    /// Runs `name` (a case of the script) against a server on `port`.
    static func run(_ name: String, port: Int) throws -> Result {
        try runPythonJSON(script, [String(port), name])
    }
}
