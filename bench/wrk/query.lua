-- wrk: the query workload's two headers
wrk.headers["X-One"] = "1"
wrk.headers["X-Two"] = "2"
