// HDF5: an h5py-shaped Swift wrapper over the HDF5 C library (CHDF5). See docs/ARCHITECTURE.md.
//
// This file holds the process-wide state every call goes through: one recursive lock (h5py's
// "phil"), one-time library start-up, and per-thread silencing of HDF5's own error printing.
// Why a lock although Debian's build is thread-safe: other builds are not, and a wrapper
// operation (create a dataspace, select, read, close) is several C calls that must not interleave.
import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A recursive pthread mutex (a wrapper call may call other wrapper calls while holding it).
// unchecked because: a pthread mutex exists to be shared between threads; the pointer to it is a
// let, and the one instance (`HDF5Library.lock`) lives as long as the process.
final class RecursiveLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}

/// Library-wide helpers. Every C call of this module runs inside `HDF5Library.withLock`.
public enum HDF5Library {
    static let lock = RecursiveLock()
    /// Lock nesting depth; read and written only while holding `lock`.
    nonisolated(unsafe) static var depth = 0

    /// Runs once: keep HDF5's atexit cleanup from closing handles other threads still use, then
    /// initialise the library so the `*_g` globals behind the type constants are valid.
    private static let started: Bool = {
        H5dont_atexit()
        keepChunkBuffersOnTheHeap()
        return H5open() >= 0
    }()

    /// HDF5 1.10 allocates and frees a chunk-sized buffer (about 1 MiB here) for every chunk it
    /// inflates. With glibc's defaults each becomes an mmap, a megabyte of page faults and a
    /// munmap, which cost 20–30 % of the CPU time of a compressed stream read. Serving such
    /// sizes from the heap (and trimming it only above 64 MiB) removes that; the price is up to
    /// 64 MiB of freed memory kept by the process.
    private static func keepChunkBuffersOnTheHeap() {
        hz_keep_chunk_buffers_on_heap()
    }

    /// Runs `body` holding the global HDF5 lock, with HDF5's automatic error printing turned off
    /// on this thread (in thread-safe builds that setting is per thread, so it is re-applied on
    /// every outermost entry; it costs one cheap call).
    @inline(__always)
    static func withLock<R>(_ body: () throws -> R) rethrows -> R {
        _ = started
        lock.lock()
        if depth == 0 { H5Eset_auto2(hz_H5E_DEFAULT(), nil, nil) }
        depth += 1
        defer {
            depth -= 1
            lock.unlock()
        }
        return try body()
    }

    /// The HDF5 library version, e.g. "1.10.8".
    public static var version: String {
        withLock {
            var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
            H5get_libversion(&major, &minor, &release)
            return "\(major).\(minor).\(release)"
        }
    }

    /// Whether deflate (gzip) compression is available in the linked library (a compressed
    /// `createDataset` asks first, so a libhdf5 built without zlib fails with one clear line).
    public static var hasDeflate: Bool {
        withLock { H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 }
    }

    /// Whether another process holds libhdf5's file lock on `path` in a way that conflicts with
    /// reading (`exclusive` false: a writer has it) or writing (`exclusive` true: anyone has it).
    public static func isLockedByAnotherProcess(path: String, exclusive: Bool) -> Bool {
        HDF5.isLockedByAnotherProcess(path, exclusive: exclusive)
    }

    /// Whether `path` starts with an HDF5 signature (false for missing or unreadable files).
    public static func isHDF5(path: String) -> Bool {
        guard (try? requireRegularFile(path)) != nil else { return false }
        return withLock {
            let result = H5Fis_hdf5(path)
            _ = H5Eclear2(hz_H5E_DEFAULT())
            return result > 0
        }
    }
}
