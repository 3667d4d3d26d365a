import Foundation
import Logging
import NIOCore

/// `--slow-request SECONDS`: a request still running after that long is logged once, with where
/// its Lua code is (the traceback of its suspended coroutine: the call it waits in), so that an
/// operator sees what it waits on before a timeout ends it. The worker's sweeper asks.
extension HTTPConnectionHandler {
    func reportIfSlow(startedBefore: NIODeadline, now: NIODeadline) {
        // A WebSocket stays for hours by design: it is never slow.
        guard exchange.hasRequest, !exchange.isWebSocket, !exchange.slowReported, exchange.startTime > .distantPast,
              exchange.startTime < startedBefore else { return }
        let whereItIs: String
        if let call = runner.call {
            whereItIs = call.state.whereItWaits(call.coroutine) ?? "(its traceback could not be taken)"
        } else if exchange.waitsForState {
            whereItIs = "waiting for room on a Lua state (every state of this worker runs --requests-per-state requests)"
        } else {
            return  // its answer is made: what is left is the client's time
        }
        exchange.slowReported = true
        let seconds = String(format: "%.1f", Double((now - exchange.startTime).nanoseconds) / 1e9)
        worker.logger.warning("request still running after \(seconds) s: \(exchange.head.method) \(exchange.head.uri): \(whereItIs)",
                              metadata: ["request_id": "\(exchange.requestIDString)"])
    }
}
