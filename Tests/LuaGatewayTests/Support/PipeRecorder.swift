import Foundation

/// Everything that comes out of a pipe from now on (a child's standard output or error), read on
/// a thread of its own so that the writer never waits for the test.
final class PipeRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    init(_ pipe: Pipe) {
        let reader = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while case let chunk = reader.availableData, !chunk.isEmpty {
                lock.withLock { data.append(chunk) }
            }
        }
    }

    /// What was read so far.
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// How many times `phrase` was read so far.
    func occurrences(of phrase: String) -> Int { text.components(separatedBy: phrase).count - 1 }
}
