"""Resident memory per idle keep-alive connection: warms the server with 50 connections, then opens N
that each send one request, read its answer and stay open; prints the RSS growth of PID per connection.
BODY > 0: each request POSTs that many bytes to /echo (an idle connection after an upload).
Usage: PORT PID N [BODY]"""
import socket, sys, time, resource
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = int(sys.argv[4]) if len(sys.argv) > 4 else 0
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1])
if body:
    req = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % body + b"e" * body
else:
    req = b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
def connect():
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(req)
    answered = s.recv(1 << 20)
    while body and len(answered) < body:  # the echoed body, after the head
        answered += s.recv(1 << 20)
    return s
warm = [connect() for _ in range(50)]
for s in warm: s.close()
time.sleep(1)
before = rss()
conns = [connect() for _ in range(n)]
time.sleep(1)
after = rss()
what = f"connections, after a {body}-byte POST each" if body else "keep-alive connections"
print(f"{n} idle {what}: RSS {before} -> {after} KiB, {(after-before)*1024/n:.0f} bytes each")
