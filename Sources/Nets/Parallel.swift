// Work distribution across models (Parallel's concurrentForEach: workers pull item indices from a
// shared counter, so long and short items balance). OpenBLAS is set to one thread while they run (each model's
// GEMMs are small; parallelism is across models), and restored afterwards.
import Foundation
import Parallel
import Tensor

/// The number of processors this process may use.
public func defaultThreadCount() -> Int { availableProcessorCount() }

/// Calls `body(item, worker)` for every item in 0..<count on up to `threads` workers, with
/// OpenBLAS single-threaded meanwhile.
public func parallelForEach(count: Int, threads: Int, _ body: @Sendable (Int, Int) -> Void) {
    if count == 0 { return }
    SingleThreadedBLAS.enter()
    defer { SingleThreadedBLAS.leave() }
    concurrentForEach(count: count, threads: threads, body)
}

/// `[transform(0), ..., transform(count - 1)]` on up to `threads` workers, with OpenBLAS
/// single-threaded meanwhile.
public func parallelMap<T>(count: Int, threads: Int, _ transform: @Sendable (_ item: Int, _ worker: Int) -> T) -> [T] {
    if count == 0 { return [] }
    SingleThreadedBLAS.enter()
    defer { SingleThreadedBLAS.leave() }
    return concurrentMap(count: count, threads: threads, transform)
}

/// Keeps OpenBLAS single-threaded while any parallel region runs (regions may overlap, e.g.
/// tests running concurrently): the first to enter saves the thread count, the last to leave
/// restores it. A multi-threaded OpenBLAS called from several threads at once gives
/// nondeterministic results.
enum SingleThreadedBLAS {
    // Both read and written only holding `lock`.
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
