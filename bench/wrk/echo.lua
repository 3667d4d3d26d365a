-- wrk: POST 256 KiB to be echoed
wrk.method = "POST"
wrk.body = string.rep("e", 262144)
wrk.headers["Content-Type"] = "application/octet-stream"
