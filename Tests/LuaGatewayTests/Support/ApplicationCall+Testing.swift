@testable import LuaGateway

extension ApplicationCall {
    /// A call on a coroutine taken from `state` (a spare one, or a new one), as a runner makes it.
    init(state: LuaState) {
        self.init(state: state, coroutine: state.takeCoroutine()!)
    }
}
