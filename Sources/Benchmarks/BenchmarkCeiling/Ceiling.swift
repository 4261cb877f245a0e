// The machine ceiling: what the hardware gives at best, the denominator of every "fraction of the
// machine" in BENCHMARKS.md. Compute: OpenBLAS sgemm (the library every kernel of the project
// ends in); memory: memcpy of buffers far larger than the caches. The one copy for every benchmark
// driver (hz-bench-storage ceiling and sgemm, hz-bench-ae-step's fraction of sgemm) and for
// tools/bench/bench-ceiling and bench-zoo.
//
// Size legend: n = side of the square matrices A[n, n], B[n, n], C[n, n]; one sgemm is 2·n³ flops.
import CBLAS
import Foundation

/// CPU time of the whole process (all threads), in seconds.
public func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// sgemm C[n, n] = A[n, n]·B[n, n] on `threads` OpenBLAS threads, `repeats` timed runs after one
/// untimed warm-up (which also starts OpenBLAS's thread pool): best and median wall-clock GFLOP/s,
/// and the best GFLOP per CPU-second (what one core delivers when it runs, whatever the machine's
/// load; with 2 threads it includes OpenBLAS's spin-waiting).
public func sgemmGFLOPPerSecond(n: Int, threads: Int, repeats: Int) -> (best: Double, median: Double, perCPUSecond: Double) {
    openblas_set_num_threads(Int32(threads))
    var state: UInt64 = 0x5EED
    let a = (0..<(n * n)).map { _ -> Float in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) - 0.5
    }
    let b = a.reversed() as [Float]
    var c = [Float](repeating: 0, count: n * n)
    let size = Int32(n)
    func multiply() {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, size, size, size, 1, a, size, b, size, 0, &c, size)
    }
    multiply()
    let flops = 2 * Double(n) * Double(n) * Double(n)
    var perCPUSecond = 0.0
    let rates = (0..<max(1, repeats)).map { _ -> Double in
        let cpu = processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        multiply()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        perCPUSecond = max(perCPUSecond, flops / (processCPUSeconds() - cpu) / 1e9)
        return flops / wall / 1e9
    }.sorted()
    precondition(c[n * n / 2].isFinite)  // keeps the product observable
    return (rates.last!, rates[rates.count / 2], perCPUSecond)
}

/// memcpy behind a call the optimiser cannot see through.
@inline(never)
func copyBytes(_ target: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) {
    memcpy(target, source, count)
}

/// Copy bandwidth, best of 5 copies of `megabytes` MiB (bytes copied per second; each byte is
/// read once and written once).
public func memcpyGBPerSecond(megabytes: Int) -> Double {
    let n = megabytes << 20
    let source = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
    let target = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
    defer { source.deallocate(); target.deallocate() }
    memset(source, 1, n)
    memset(target, 0, n)
    var best = Double.infinity
    var check = 0
    for i in 0..<5 {
        source.storeBytes(of: UInt8(i), toByteOffset: i * 4096, as: UInt8.self)
        let start = DispatchTime.now().uptimeNanoseconds
        copyBytes(target, source, n)
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        check &+= Int(target.load(fromByteOffset: i * 4096, as: UInt8.self))  // keeps the copy observable
    }
    precondition(check == 10)
    return Double(n) / best / 1e9
}
