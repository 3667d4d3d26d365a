"""Sends N requests of one workload on one keep-alive connection, one after the other, reading
each response whole: a fixed amount of work for bench/instructions. Usage: PORT N hello|ngx|wsapi|query|echo|redis|body64k"""
import socket, sys
port, n, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if kind in ("hello", "ngx", "wsapi", "redis", "body64k"):
    req = b"GET /" + kind.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
elif kind == "query":
    req = b"GET /query?name=luagw HTTP/1.1\r\nHost: 127.0.0.1\r\nX-One: 1\r\nX-Two: 2\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
else:
    body = b"e" * 262144
    req = b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 262144\r\n\r\n" + body
s = socket.create_connection(("127.0.0.1", port))
def read_response(buf):
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, v = line.split(b":", 1)
        if k.strip().lower() == b"content-length": length = int(v)
    while len(rest) < length:
        rest += s.recv(262144)
    return rest[length:]
buf = b""
for i in range(n):
    s.sendall(req)
    buf = read_response(buf)
print("ok", n)
