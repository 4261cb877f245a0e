// Work spread over threads, the one way every room does it: `threads` workers pull item indices
// from a shared counter (long and short items balance), and each result goes to its own slot,
// so the output is in input order whatever the scheduling. Nothing else is shared between the
// workers. Nets wraps this with OpenBLAS kept single-threaded (Nets/Parallel.swift).
import Dispatch
import Foundation

/// The number of processors this process may use.
public func availableProcessorCount() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

/// Calls `body(item, worker)` for every item in 0..<count on up to `threads` workers
/// (worker is in 0..<min(threads, count)); on the calling thread alone when one worker suffices.
public func concurrentForEach(count: Int, threads: Int, _ body: @Sendable (_ item: Int, _ worker: Int) -> Void) {
    if count <= 0 { return }
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { body(i, 0) }
        return
    }
    let next = WorkCounter()
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        while true {
            let i = next.take()
            if i >= count { break }
            body(i, w)
        }
    }
}

/// `[transform(0), ..., transform(count - 1)]`, computed on up to `threads` workers.
public func concurrentMap<T>(count: Int, threads: Int, _ transform: @Sendable (_ item: Int, _ worker: Int) -> T) -> [T] {
    let slots = ResultSlots<T>(count: count)
    concurrentForEach(count: count, threads: threads) { i, w in slots.set(i, transform(i, w)) }
    return slots.values
}

/// `concurrentMap` of a throwing transform: every item runs, then the first error in input
/// order is thrown (so the error does not depend on scheduling).
public func concurrentMap<T>(count: Int, threads: Int, _ transform: @Sendable (_ item: Int, _ worker: Int) throws -> T) throws -> [T] {
    try concurrentMap(count: count, threads: threads) { i, w in Result { try transform(i, w) } }.map { try $0.get() }
}

/// A lock-protected counter handing out 0, 1, 2, ... (also used to sum progress across workers).
// unchecked because: its one var, `value`, is read and written only holding `lock`.
public final class WorkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    public init() {}
    /// The next index.
    public func take() -> Int { add(1) - 1 }
    /// Adds `n`; returns the new total.
    public func add(_ n: Int) -> Int { lock.lock(); defer { lock.unlock() }; value += n; return value }
}

/// One slot per item, each written by exactly one worker, read after all of them finished.
// unchecked because: `slots` is read and written only holding `lock`; each T is made by one worker
// and read by the caller after every worker has finished (T itself need not be Sendable).
final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.lock(); slots[i] = value; lock.unlock() }
    var values: [T] { lock.lock(); defer { lock.unlock() }; return slots.map { $0! } }
}
