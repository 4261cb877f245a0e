// Work distribution across models: `threads` workers pull item indices from a shared counter,
// so long and short items balance. OpenBLAS is set to one thread while they run (each model's
// GEMMs are small; parallelism is across models), and restored afterwards.
import Dispatch
import Foundation
import Tensor

/// The number of processors this process may use.
public func defaultThreadCount() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

/// Calls `body(item, worker)` for every item in 0..<count on up to `threads` workers.
public func parallelForEach(count: Int, threads: Int, _ body: @Sendable (Int, Int) -> Void) {
    if count == 0 { return }
    let workers = max(1, min(threads, count))
    SingleThreadedBLAS.enter()
    defer { SingleThreadedBLAS.leave() }
    if workers == 1 {
        for i in 0..<count { body(i, 0) }
        return
    }
    let next = Counter()
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        while true {
            let i = next.take()
            if i >= count { break }
            body(i, w)
        }
    }
}

/// Keeps OpenBLAS single-threaded while any parallel region runs (regions may overlap, e.g.
/// tests running concurrently): the first to enter saves the thread count, the last to leave
/// restores it. A multi-threaded OpenBLAS called from several threads at once gives
/// nondeterministic results.
enum SingleThreadedBLAS {
    nonisolated(unsafe) private static var depth = 0
    nonisolated(unsafe) private static var saved = 1
    private static let lock = NSLock()

    static func enter() {
        lock.lock(); defer { lock.unlock() }
        if depth == 0 { saved = blasThreads(); setBLASThreads(1) }
        depth += 1
    }

    static func leave() {
        lock.lock(); defer { lock.unlock() }
        depth -= 1
        if depth == 0 { setBLASThreads(saved) }
    }
}

/// A lock-protected counter handing out 0, 1, 2, ...
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
}

/// Slots written by parallel workers, each slot by exactly one worker.
final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    subscript(i: Int) -> T? {
        get { lock.lock(); defer { lock.unlock() }; return slots[i] }
        set { lock.lock(); slots[i] = newValue; lock.unlock() }
    }
    var values: [T] { slots.map { $0! } }
}
