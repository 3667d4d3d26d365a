/// The child processes of the running request (os.execute, io.popen: SPEC 5), by handle. When
/// the request ends, however it ends, those that were not waited for are killed (their process
/// groups) and their pipes closed: the reaper still collects each.
final class ChildProcesses {
    private var children: [Int: ChildProcess] = [:]
    private var nextHandle = 0

    /// Holds `child`; its handle.
    func add(_ child: ChildProcess) -> Int {
        nextHandle += 1
        children[nextHandle] = child
        return nextHandle
    }

    /// The child of `handle`, if the request holds it.
    func child(_ handle: Int) -> ChildProcess? {
        children[handle]
    }

    /// Forgets `handle` (its child was waited for).
    func remove(_ handle: Int) {
        children[handle] = nil
    }

    func killAll() {
        for child in children.values { child.kill() }
        children.removeAll()
    }
}
