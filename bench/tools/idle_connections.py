"""Resident memory per idle keep-alive connection: warms the server with 50 connections, then opens N
that each send one request, read its answer and stay open; prints the RSS growth of PID per connection.
Usage: PORT PID N"""
import socket, sys, time, resource
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1])
req = b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
warm = []
for _ in range(50):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(req); s.recv(4096); warm.append(s)
for s in warm: s.close()
time.sleep(1)
before = rss()
conns = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(req); s.recv(4096); conns.append(s)
time.sleep(1)
after = rss()
print(f"{n} idle keep-alive connections: RSS {before} -> {after} KiB, {(after-before)*1024/n:.0f} bytes each")
