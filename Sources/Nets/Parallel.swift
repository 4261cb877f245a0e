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
    let previous = blasThreads()
    setBLASThreads(1)
    defer { setBLASThreads(previous) }
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
