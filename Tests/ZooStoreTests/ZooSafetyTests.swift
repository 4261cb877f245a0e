// Honest I/O: outputs never clobbered, interrupted writes resumable, bad inputs one clear error.
import Foundation
import Testing
import HDF5
import ZooStore
import TestSupport

@Suite struct ZooSafetyTests {
    @Test func existingOutputIsNeverClobbered() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        try "precious".write(toFile: path, atomically: true, encoding: .utf8)
        let exists = #expect(throws: ZooStoreError.self) {
            try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table)
        }
        #expect(exists?.kind == .exists)
        #expect(exists?.description == "\(path): output exists; not overwritten (pass --force to replace it)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))

        // With overwrite the old file is replaced only at finish().
        let writer = try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table, overwrite: true)
        try TinyZoo.fill(writer, models: 0..<1, epochs: 0..<2)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
        try writer.finish()
        #expect(try ZooReader(path: path).checkpointCount == 2)
    }

    /// Two writers of one output (issue 15, fault tests): while another process writes
    /// `zoo.h5.partial` (holding libhdf5's lock on it), a second writer, even with overwrite
    /// (--force), is refused instead of unlinking the first one's partial, and a reader of the
    /// partial is told who has it.
    @Test(.timeLimit(.minutes(1))) func aSecondWriterOfOneOutputIsRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        let first = try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table)
        try TinyZoo.fill(first, models: 0..<1, epochs: 0..<2)
        first.close()
        // The other writer: a process holding the lock libhdf5 takes on a file it writes.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        // -o: flock itself holds the lock, not the sleep it runs, so terminating flock releases
        // it at once (without -o the orphaned sleep kept it for its 30 s, and the resume below
        // waited that long).
        holder.arguments = ["-o", "-x", path + ".partial", "/bin/sleep", "30"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        var held = false
        for _ in 0..<200 where !held {
            held = HDF5Library.isLockedByAnotherProcess(path: path + ".partial", exclusive: true)
            if !held { usleep(20_000) }
        }
        try #require(held, "flock did not take the lock")
        for overwrite in [false, true] {
            let refused = #expect(throws: ZooStoreError.self) {
                try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table, overwrite: overwrite)
            }
            #expect(refused?.description == "\(path).partial: is being written by another process (it holds the HDF5 file lock); wait for it to finish or stop it")
        }
        #expect(throws: ZooStoreError.self) { try ZooWriter.resume(path: path) }
        #expect(FileManager.default.fileExists(atPath: path + ".partial"))
        holder.terminate(); holder.waitUntilExit()
        // Once the other writer is gone, the partial resumes as before.
        let resumed = try ZooWriter.resume(path: path)
        try resumed.finish()
        #expect(try ZooReader(path: path).checkpointCount == 2)
    }

    @Test func interruptedWriteResumes() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        do {
            let writer = try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table, rowsPerChunk: 3)
            try TinyZoo.fill(writer, models: 0..<2, epochs: 0..<4)
            try writer.flush()
            // Dropped without finish(): the process was interrupted.
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(ZooWriter.canResume(path: path))
        // A fresh create refuses to discard the interrupted work.
        let refused = #expect(throws: ZooStoreError.self) { try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table) }
        #expect(refused?.kind == .exists)

        // Simulate a crash in the middle of an append: rows beyond the committed count.
        do {
            let f = try File(path: path + ".partial", mode: .readWrite)
            let w = try f.openDataset("architectures/tiny/weights")
            try w.resize(to: [10, 17])
        }

        let writer = try ZooWriter.resume(path: path)
        #expect(writer.checkpointCount == 8 && writer.modelCount == 2)
        #expect(writer.hasCheckpoint(model: "m1", epoch: 3))
        #expect(!writer.hasCheckpoint(model: "m1", epoch: 4))
        try TinyZoo.fill(writer, models: 1..<3, epochs: 4..<6)
        let duplicate = #expect(throws: ZooStoreError.self) {
            try writer.appendCheckpoint(model: "m0", epoch: 0, row: TinyZoo.row(model: 0, epoch: 0))
        }
        #expect(duplicate?.kind == .invalid)
        #expect(throws: ZooStoreError.self) { try writer.appendCheckpoint(model: "nobody", epoch: 0, row: TinyZoo.row(model: 0, epoch: 0)) }
        #expect(throws: ZooStoreError.self) { try writer.appendCheckpoint(model: "m0", epoch: 9, row: [1, 2]) }
        try writer.finish()

        let reader = try ZooReader(path: path)
        #expect(reader.checkpointCount == 12)
        #expect(reader.models.map(\.id) == ["m0", "m1", "m2"])
        for row in 0..<reader.checkpointCount {
            #expect(try reader.readRow(row) == TinyZoo.row(model: reader.modelIndex[row], epoch: reader.epoch[row]))
        }
        #expect(throws: ZooStoreError.self) { try ZooWriter.resume(path: path) }
    }

    @Test func badInputsAreOneClearError() throws {
        let dir = TemporaryDirectory()
        let good = dir.path("good.h5")
        try TinyZoo.write(good, models: 4, epochs: 30)

        func failure(_ path: String) -> ZooStoreError? {
            #expect(throws: ZooStoreError.self) { try ZooReader(path: path) }
        }
        // Missing file.
        #expect(failure(dir.path("nope.h5"))?.kind == .notFound)
        // Not HDF5.
        let text = dir.path("text.h5")
        try "not a zoo".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(failure(text)?.description == "\(text): not an HDF5 file")
        // Truncated.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let truncated = dir.path("truncated.h5")
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: truncated))
        let cut = failure(truncated)
        #expect(cut?.kind == .notHDF5)
        #expect(cut?.description.contains("truncated") == true)
        // Foreign HDF5 (no format attribute).
        let foreign = dir.path("foreign.h5")
        try File(path: foreign, mode: .create).createDataset("weights", data: [Float(1)])
        #expect(failure(foreign)?.description == "\(foreign):/: not a hyperzoo file: no root attribute 'format'")

        // Newer format_version.
        let newer = dir.path("newer.h5")
        try FileManager.default.copyItem(atPath: good, toPath: newer)
        try File(path: newer, mode: .readWrite).attributes.set("format_version", 3)
        let version = failure(newer)
        #expect(version?.kind == .newerVersion)
        #expect(version?.description == "\(newer):/: format_version 3 is newer than this hyperzoo reads (2); upgrade hyperzoo")

        // Missing object.
        let missing = dir.path("missing.h5")
        try FileManager.default.copyItem(atPath: good, toPath: missing)
        try File(path: missing, mode: .readWrite).delete("models/split")
        let gone = failure(missing)
        #expect(gone?.kind == .notFound)
        #expect(gone?.object == "/models/split")

        // Wrong element type for the weights.
        let float64 = dir.path("float64.h5")
        try FileManager.default.copyItem(atPath: good, toPath: float64)
        do {
            let f = try File(path: float64, mode: .readWrite)
            try f.delete("architectures/tiny/weights")
            try f.createDataset("architectures/tiny/weights", type: .float64, shape: [120, 17])
        }
        #expect(failure(float64)?.description == "\(float64):/architectures/tiny/weights: expected float32, found float64")

        // 15.6: sizes in the parameter table come from the file: a shape whose product overflows,
        // one beyond the row limit, a gap in the offsets and a layer count out of order are each
        // one error naming the group, before any row is sized by them.
        let bad: [(entries: String, says: String)] = [
            (#"[{"name":"w","shape":[4294967296,4294967296,4294967296],"offset":0,"layer":0,"kind":"linear","role":"weight"}]"#, "takes the row beyond 268435456 parameters"),
            (#"[{"name":"w","shape":[268435457],"offset":0,"layer":0,"kind":"linear","role":"weight"}]"#, "takes the row beyond 268435456 parameters"),
            (#"[{"name":"w","shape":[2,3],"offset":7,"layer":0,"kind":"linear","role":"weight"}]"#, "offset 7, expected 0"),
            (#"[{"name":"w","shape":[2,3],"offset":0,"layer":5,"kind":"linear","role":"weight"}]"#, "layer 5, expected 0…0"),
            (#"[{"name":"w","shape":[2,-3],"offset":0,"layer":0,"kind":"linear","role":"weight"}]"#, "negative dimension"),
        ]
        for (k, (entries, says)) in bad.enumerated() {
            let path = dir.path("table-\(k).h5")
            try FileManager.default.copyItem(atPath: good, toPath: path)
            try File(path: path, mode: .readWrite).openGroup("architectures/tiny").attributes.set("parameter_table", entries)
            let error = failure(path)
            #expect(error?.kind == .invalid)
            #expect(error?.description.hasPrefix("\(path):/architectures/tiny: bad parameter_table: parameter w: ") == true && error?.description.contains(says) == true,
                    "\(String(describing: error))")
        }
    }
}
