import Foundation

/// Hands batches from a thread that reads and maps a file to the one that writes them into the store,
/// so that the two use both cores. Bounded: the reader waits while `capacity` batches are waiting, so
/// memory stays flat whatever the file's size. Order is kept; either side can stop the other.
///
/// `@unchecked Sendable`: every stored property is read and written under `condition`'s lock.
final class RowPipe<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: [[Item]] = []
    private var closed = false
    private var failure: (any Error)?
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int = 8) { self.capacity = capacity }

    /// The producer's side: false when the consumer has stopped (the producer should stop too).
    func put(_ batch: [Item]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while waiting.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        waiting.append(batch)
        condition.broadcast()
        return true
    }

    /// The producer is done: after the waiting batches, `take` returns nil, or throws `error`.
    func close(throwing error: (any Error)? = nil) {
        condition.lock()
        closed = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer's side: the next batch, nil at the end, or the producer's error once the batches
    /// before it have been taken.
    func take() throws -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !closed { condition.wait() }
        if !waiting.isEmpty {
            let batch = waiting.removeFirst()
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    /// The consumer stops early (its own error): the producer's next `put` returns false.
    func cancel() {
        condition.lock()
        cancelled = true
        waiting.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}

/// Runs `body` on a thread of its own; `wait()` returns once it has returned.
final class Worker: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    /// `body` may capture values that are not `Sendable` (a reader, a mapper): the caller hands them
    /// over and does not touch them again until `wait()` has returned.
    init(_ body: @escaping () -> Void) {
        nonisolated(unsafe) let work = body
        let done = self.done
        let thread = Thread {
            work()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func wait() { done.wait() }
}
