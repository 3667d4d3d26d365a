import Foundation

/// `/status` (SPEC 10): one HTML page a person reads at a glance, with no script and no
/// external asset: uptime, generation and the last reload error, each worker's states and
/// queue, and the requests in flight.
struct StatusPage {
    let snapshot: AdminSnapshot
    /// Seconds after which the page reloads itself (`/status?refresh=N`), if asked.
    var refresh: Int? = nil

    /// `refresh=N` of a query, 1 to 3600.
    static func refreshSeconds(inQuery query: Substring) -> Int? {
        for pair in query.split(separator: "&") where pair.hasPrefix("refresh=") {
            if let seconds = Int(pair.dropFirst(8)), (1...3600).contains(seconds) { return seconds }
        }
        return nil
    }

    /// The admin listener's `/`: where its pages are.
    static let index = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>luagw admin</title></head><body>
        <h1>luagw admin</h1>
        <ul><li><a href="/status">status</a> (<a href="/status?refresh=5">refreshed every 5 s</a>)</li>
        <li><a href="/status.json">status.json</a></li><li><a href="/metrics">metrics</a> (Prometheus)</li></ul>
        </body></html>

        """

    var html: String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>luagw status</title>\(refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? "")
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.8em; text-align: left; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            .error { color: #a00; white-space: pre-wrap; }
            </style></head><body>
            <h1>luagw status</h1>
            <p>Up \(Self.duration(snapshot.uptimeSeconds)); scripts generation \(snapshot.generation).</p>
            <h2>The last minute</h2>
            <table id="last-minute"><tr><th>requests/s</th><th>p50</th><th>p90</th><th>p99</th></tr>
            <tr><td class="n">\(String(format: "%.1f", snapshot.requestsPerSecond))</td><td class="n">\(Self.milliseconds(snapshot.latencySeconds.p50))</td><td class="n">\(Self.milliseconds(snapshot.latencySeconds.p90))</td><td class="n">\(Self.milliseconds(snapshot.latencySeconds.p99))</td></tr>
            </table>

            """
        if let error = snapshot.lastReloadError {
            page += "<p>Last reload error:</p><p class=\"error\">\(Self.escape(error))</p>\n"
        }
        page += "<h2>Workers</h2>\n<table><tr><th>worker</th><th>states busy</th><th>states idle</th><th>queue</th><th>WebSockets</th></tr>\n"
        for worker in snapshot.workers {
            page += "<tr><td>\(worker.index)</td><td class=\"n\">\(worker.statesBusy)</td><td class=\"n\">\(worker.statesIdle)</td><td class=\"n\">\(worker.queue)</td><td class=\"n\">\(worker.webSockets)</td></tr>\n"
        }
        page += "</table>\n<h2>Requests in flight (\(snapshot.inFlight.count))</h2>\n"
        page += "<table id=\"in-flight\"><tr><th>id</th><th>client</th><th>method</th><th>path</th><th>mount</th><th>phase</th><th>age</th></tr>\n"
        for request in snapshot.inFlight.sorted(by: { $0.ageSeconds > $1.ageSeconds }) {
            page += "<tr><td>\(Self.escape(request.id))</td><td>\(Self.escape(request.client))</td><td>\(Self.escape(request.method))</td>"
                + "<td>\(Self.escape(request.path))</td><td>\(Self.escape(request.mount))</td><td>\(request.phase)</td>"
                + "<td class=\"n\">\(String(format: "%.1f s", request.ageSeconds))</td></tr>\n"
        }
        let refreshing = refresh.map { "refreshed every \($0) s: <a href=\"/status\">stop</a>" } ?? "<a href=\"/status?refresh=5\">refresh every 5 s</a>"
        page += "</table>\n<p><a href=\"/status.json\">status.json</a> · <a href=\"/metrics\">metrics</a> · \(refreshing)</p>\n</body></html>\n"
        return page
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A percentile as a person reads it ("≤ 1.25 ms": the bin's upper bound), or "–".
    static func milliseconds(_ seconds: Double?) -> String {
        guard let seconds else { return "–" }
        return seconds < 1 ? String(format: "≤ %.3g ms", seconds * 1000) : String(format: "≤ %.3g s", seconds)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}
