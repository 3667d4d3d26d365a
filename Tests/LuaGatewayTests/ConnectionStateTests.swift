import XCTest
@testable import LuaGateway

/// The connection's state alone: each event moves it and says what the handler is to do.
final class ConnectionStateTests: XCTestCase {
    func testAKeptAliveExchangeWaitsForTheNextRequest() {
        var state = ConnectionState()
        XCTAssertEqual(state.phase, .receivingHead)
        state.beginExchange()
        XCTAssertTrue(state.isActive)
        XCTAssertEqual(state.responseWritten(keepAlive: true, bodyEnded: true, continueUnanswered: false), .nextRequest)
        XCTAssertEqual(state.phase, .waitingForRequest)
        XCTAssertEqual(state.bytesArrived(readsBody: false), .head, "the next head's deadline starts with its first byte")
        XCTAssertEqual(state.phase, .receivingHead)
    }

    func testAnUnreadBodyIsDiscardedBeforeTheNextRequest() {
        var state = ConnectionState()
        state.beginExchange()
        XCTAssertEqual(state.responseWritten(keepAlive: true, bodyEnded: false, continueUnanswered: false), .discardBody)
        XCTAssertEqual(state.phase, .discardingBody)
        XCTAssertTrue(state.isActive, "the exchange lasts until the body is read")
        XCTAssertEqual(state.bytesArrived(readsBody: false), .body, "discarding has the body's deadline")
        XCTAssertEqual(state.deadlinePassed(readsBody: false), .bodyTimedOut)
        XCTAssertEqual(state.exchangeEnded(), .nextRequest)
    }

    func testAnUnansweredExpectContinueClosesInsteadOfDiscarding() {
        var state = ConnectionState()
        state.beginExchange()
        XCTAssertEqual(state.responseWritten(keepAlive: true, bodyEnded: false, continueUnanswered: true), .close)
        XCTAssertEqual(state.phase, .lingering)
        XCTAssertTrue(state.isClosed)
    }

    func testAResponseThatMayNotBeFollowedCloses() {
        var state = ConnectionState()
        state.beginExchange()
        XCTAssertEqual(state.responseWritten(keepAlive: false, bodyEnded: true, continueUnanswered: false), .close)
        XCTAssertEqual(state.deadlinePassed(readsBody: false), .closeNow, "lingering ends at its deadline")
    }

    func testAHalfCloseServesWhatIsInProgressThenCloses() {
        var state = ConnectionState()
        XCTAssertEqual(state.clientHalfClosed(hasQueued: false), .closeNow, "nothing in progress")
        state.beginExchange()
        XCTAssertEqual(state.clientHalfClosed(hasQueued: false), .stopReceiving)
        XCTAssertEqual(state.stopReceiving(), .failReads)
        XCTAssertTrue(state.inputClosed)
        XCTAssertEqual(state.responseWritten(keepAlive: true, bodyEnded: true, continueUnanswered: false), .close,
                       "no request follows a half-close")
    }

    func testAStopWhileDiscardingCloses() {
        var state = ConnectionState()
        state.beginExchange()
        _ = state.responseWritten(keepAlive: true, bodyEnded: false, continueUnanswered: false)
        XCTAssertEqual(state.stopReceiving(), .close)
        XCTAssertEqual(state.phase, .lingering)
    }

    func testDeadlinesByPhase() {
        var state = ConnectionState()
        XCTAssertEqual(state.deadlinePassed(readsBody: false), .requestTimedOut, "a head too slow: 408")
        state.beginExchange()
        XCTAssertEqual(state.deadlinePassed(readsBody: false), .nothing, "the application computes: no client deadline")
        XCTAssertEqual(state.deadlinePassed(readsBody: true), .bodyTimedOut)
        XCTAssertEqual(state.bytesArrived(readsBody: true), .body)
        XCTAssertNil(state.bytesArrived(readsBody: false))
        state.closed()
        XCTAssertEqual(state.deadlinePassed(readsBody: true), .nothing)
    }

    func testAWebSocketIsActiveAndHasNoDeadlines() {
        var state = ConnectionState()
        state.beginExchange()
        state.upgraded()
        XCTAssertEqual(state.phase, .webSocket)
        XCTAssertTrue(state.isActive)
        XCTAssertFalse(state.isClosed)
        XCTAssertNil(state.bytesArrived(readsBody: false), "frames set no HTTP deadline")
        XCTAssertEqual(state.deadlinePassed(readsBody: false), .nothing, "its close handshake has its own timer")
    }
}
