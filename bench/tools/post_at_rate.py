"""Posts small bodies to URL at RATE requests a second over CONNECTIONS keep-alive connections
for SECONDS; prints "sent answered errors". bench/databases' writer beside the reads."""
import asyncio
import sys
import time
from urllib.parse import urlsplit


async def writer(host, port, path, interval, deadline, counts):
    reader, stream = await asyncio.open_connection(host, port)
    next_at = time.monotonic()
    while time.monotonic() < deadline:
        body = b"event at %f" % time.time()
        stream.write(b"POST %s HTTP/1.1\r\nHost: bench\r\nContent-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body))
        counts["sent"] += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
        await reader.readexactly(length)
        counts["answered" if head.startswith(b"HTTP/1.1 200") else "errors"] += 1
        next_at += interval
        await asyncio.sleep(max(0, next_at - time.monotonic()))
    stream.close()


async def main(url, rate, connections, seconds):
    parts = urlsplit(url)
    counts = {"sent": 0, "answered": 0, "errors": 0}
    deadline = time.monotonic() + seconds
    interval = connections / rate
    await asyncio.gather(*(writer(parts.hostname, parts.port, parts.path, interval, deadline, counts)
                           for _ in range(connections)))
    print(counts["sent"], counts["answered"], counts["errors"])


asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
