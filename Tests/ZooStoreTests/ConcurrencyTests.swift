// The global lock: readers, a writer and failing calls on several threads at once stay correct,
// and each thread gets its own error (HDF5's error stack is per thread).
import Foundation
import Testing
import HDF5
import ZooStore
import TestSupport

@Suite struct ConcurrencyTests {
    @Test func readersWriterAndErrorsOnManyThreads() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        try TinyZoo.write(path, models: 3, epochs: 4)
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 6) { k in
            do {
                if k == 5 {
                    try TinyZoo.write(dir.path("other.h5"), models: 2, epochs: 3)
                    return
                }
                let reader = try ZooReader(path: path)
                for _ in 0..<5 {
                    for row in 0..<reader.checkpointCount
                    where try reader.readRow(row) != TinyZoo.row(model: reader.modelIndex[row], epoch: reader.epoch[row]) {
                        failures.add("thread \(k): row \(row) differs")
                    }
                    do {
                        _ = try File(path: path).openGroup("missing-\(k)")
                        failures.add("thread \(k): no error for a missing group")
                    } catch let error as HDF5Error {
                        if error.object != "/missing-\(k)" { failures.add("thread \(k): got another thread's error \(error)") }
                    }
                }
            } catch {
                failures.add("thread \(k): \(error)")
            }
        }
        #expect(failures.messages.isEmpty, "\(failures.messages)")
        #expect(try ZooReader(path: dir.path("other.h5")).checkpointCount == 6)
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ message: String) { lock.lock(); list.append(message); lock.unlock() }
    var messages: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
