// Copies a strided view of a storage into contiguous row-major bytes, after proving that every
// element it touches lies inside the storage. Used for torch tensors (any strides, shared
// storages, storage offsets) and Fortran-ordered NumPy arrays.
//
// Sizes: n = element count, r = rank, s = itemsize in bytes.
import FileIO

/// Why a view cannot be gathered (the caller adds file and tensor name).
struct GatherFailure: Error {
    var message: String
}

enum StridedGather {
    /// Row-major strides (in elements) for `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running = running &* max(shape[axis], 1)
        }
        return strides
    }

    /// The contiguous bytes of the view `shape`/`strides` (elements) starting at element `offset`
    /// of `storage` (`storageCount` elements of `itemSize` bytes).
    /// - Throws: `GatherFailure` for negative strides, overflow, or any element outside the storage.
    /// Largest result accepted when a view repeats storage elements (zero or overlapping strides)
    /// and so is larger than its storage: a bound on memory that a small file can demand.
    static let maximumExpandedBytes = 256 << 20

    static func gather(storage: UnsafeRawBufferPointer, storageCount: Int, itemSize s: Int,
                       offset: Int, shape: [Int], strides: [Int]) throws -> [UInt8] {
        guard shape.count == strides.count else { throw GatherFailure(message: "shape \(shape) and strides \(strides) differ in rank") }
        guard strides.allSatisfy({ $0 >= 0 }) else { throw GatherFailure(message: "negative stride in \(strides)") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw GatherFailure(message: "negative dimension in \(shape)") }
        guard let n = checkedElementCount(shape) else { throw GatherFailure(message: "shape \(shape) has more elements than memory can address") }
        if n == 0 { return [] }
        // A size-1 axis is never stepped along, so its stride means nothing (torch writes any
        // value there, even huge ones); zero it so no later arithmetic sees it.
        let strides = zip(shape, strides).map { size, st in size == 1 ? 0 : st }
        // The last element touched: offset + Σ (size_i − 1)·stride_i, computed without overflow.
        var last = offset
        for (size, st) in zip(shape, strides) {
            let (step, o1) = (size - 1).multipliedReportingOverflow(by: st)
            let (sum, o2) = last.addingReportingOverflow(step)
            guard !o1, !o2 else { throw GatherFailure(message: "shape \(shape) with strides \(strides) overflows") }
            last = sum
        }
        guard offset >= 0, last < storageCount else {
            throw GatherFailure(message: "view (offset \(offset), shape \(shape), strides \(strides)) reaches element \(last) but the storage has \(storageCount)")
        }
        let (byteCount, byteOverflow) = n.multipliedReportingOverflow(by: s)
        guard !byteOverflow, n <= storageCount || byteCount <= maximumExpandedBytes else {
            throw GatherFailure(message: "view of shape \(shape) repeats storage elements into more than \(maximumExpandedBytes) bytes")
        }
        return [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            let dst = UnsafeMutableRawPointer(out.baseAddress!)
            let src = storage.baseAddress!
            if strides == zip(shape, contiguousStrides(shape)).map({ $0 == 1 ? 0 : $1 }) || n == 1 {
                dst.copyMemory(from: src + offset * s, byteCount: byteCount)
            } else {
                // Odometer over the index space; the innermost axis is the tight loop.
                let r = shape.count
                let innerSize = shape[r - 1], innerStride = strides[r - 1] * s
                var index = [Int](repeating: 0, count: r)
                var base = offset * s
                var written = 0
                while written < byteCount {
                    var at = base
                    for _ in 0..<innerSize {
                        (dst + written).copyMemory(from: src + at, byteCount: s)
                        written += s
                        at += innerStride
                    }
                    // advance the outer axes
                    var axis = r - 2
                    while axis >= 0 {
                        index[axis] += 1
                        base += strides[axis] * s
                        if index[axis] < shape[axis] { break }
                        base -= strides[axis] * s * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                    if axis < 0 { break }
                }
            }
            initialized = byteCount
        }
    }

    /// Reverses the byte order of every `itemSize`-byte element in place.
    static func swapBytes(_ bytes: inout [UInt8], itemSize: Int) {
        guard itemSize > 1 else { return }
        bytes.withUnsafeMutableBufferPointer { b in
            var i = 0
            while i + itemSize <= b.count {
                var lo = i, hi = i + itemSize - 1
                while lo < hi { b.swapAt(lo, hi); lo += 1; hi -= 1 }
                i += itemSize
            }
        }
    }
}
