// Zoo files holding several parameter layouts (format_version 2): one group per layout, rows of
// all groups presented as one sequence, each row with its own state_dict names.
import Foundation
import Testing
import HDF5
import ZooStore
import TestSupport

/// Two layouts of TinyZoo's structure: the second renames layer 2 to 3, as Dropout modules
/// shift CNN-s's `module_list` indices.
enum TwoLayouts {
    static let plain = ZooLayout(name: "tiny", table: TinyZoo.table)
    static let dropout = ZooLayout(name: "tiny_dropout", table: try! ParameterTable(stateDict: [
        ("module_list.0.weight", [3, 2]), ("module_list.0.bias", [3]),
        ("module_list.3.weight", [2, 3]), ("module_list.3.bias", [2]),
    ]))

    /// Odd models go to the dropout layout.
    static func layout(of model: Int) -> String { model % 2 == 1 ? dropout.name : plain.name }

    static func fill(_ writer: ZooWriter, models: Range<Int>, epochs: Range<Int>) throws {
        for m in models {
            if !writer.hasModel("m\(m)") {
                try writer.addModel(ModelRecord(id: "m\(m)", seed: m, dataset: "tiny"), layout: layout(of: m))
            }
            for e in epochs {
                try writer.appendCheckpoint(model: "m\(m)", epoch: e, row: TinyZoo.row(model: m, epoch: e),
                                            metrics: TinyZoo.metrics(model: m, epoch: e))
            }
        }
    }

    /// Every row of `reader` holds its model's expected values, names and metrics.
    static func check(_ reader: ZooReader) throws {
        for row in 0..<reader.checkpointCount {
            let model = Int(reader.model(row: row).id.dropFirst())!
            #expect(try reader.readRow(row) == TinyZoo.row(model: model, epoch: reader.epoch[row]))
            #expect(reader.architecture(ofRow: row) == layout(of: model))
            let names = reader.table(ofRow: row).entries.map(\.name)
            #expect(names == (model % 2 == 1 ? dropout : plain).table.entries.map(\.name))
            #expect(reader.metrics(row: row) == TinyZoo.metrics(model: model, epoch: reader.epoch[row]))
        }
    }
}

@Suite struct MultiLayoutTests {
    @Test func twoLayoutsRoundTripAsOneRowSequence() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        let writer = try ZooWriter.create(path: path, layouts: [TwoLayouts.plain, TwoLayouts.dropout], rowsPerChunk: 3)
        try TwoLayouts.fill(writer, models: 0..<5, epochs: 0..<3)
        #expect(writer.checkpointCount == 15)
        try writer.finish()

        let reader = try ZooReader(path: path)
        #expect(reader.formatVersion == 2)
        #expect(reader.layouts == [TwoLayouts.plain, TwoLayouts.dropout])
        #expect(reader.architecture == "tiny" && reader.table == TinyZoo.table)
        // Models 0, 2, 4 (9 rows) in the first group, then 1, 3 (6 rows).
        #expect(reader.layoutRows == [0..<9, 9..<15])
        #expect(reader.checkpointCount == 15 && reader.models.count == 5)
        try TwoLayouts.check(reader)
        // Reads that straddle the two groups, in any order.
        let all = try reader.readRows(0..<15)
        #expect(try reader.readRows(7..<11) == Array(all[(7 * 17)..<(11 * 17)]))
        let order = [14, 0, 8, 9, 10, 3]
        var batches = reader.rows(batchSize: 4, indices: order)
        var streamed: [Float] = []
        while let batch = try batches.next() { streamed += batch.values }
        #expect(streamed == order.flatMap { Array(all[($0 * 17)..<(($0 + 1) * 17)]) })
        #expect(reader.select(models: ["m3"]).allSatisfy { reader.layoutIndex(ofRow: $0) == 1 })

        let file = try File(path: path)
        #expect(try file.attributes.json("architectures", as: [String].self) == ["tiny", "tiny_dropout"])
        #expect(try file.attributes.int("format_version") == 2)
    }

    @Test func oneLayoutStaysVersionOneWithoutTheListAttribute() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        try TinyZoo.write(path, models: 2, epochs: 2)
        let file = try File(path: path)
        #expect(try file.attributes.int("format_version") == 1)
        #expect(!file.attributes.contains("architectures"))
        #expect(try file.attributes.names() == ["format", "format_version", "architecture", "created_by", "config"])
        let reader = try ZooReader(path: path)
        #expect(reader.layouts == [TwoLayouts.plain] && reader.layoutRows == [0..<4])
    }

    @Test func addingALayoutLaterRaisesTheVersion() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        let writer = try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table, rowsPerChunk: 2)
        try TinyZoo.fill(writer, models: 0..<1, epochs: 0..<3)
        let other = ZooLayout(name: "wide", table: try ParameterTable(stateDict: [("w", [4, 2]), ("b", [4]), ("v", [2, 4]), ("c", [2])]))
        let refused = #expect(throws: ZooStoreError.self) { try writer.addLayout(other) }
        #expect(refused?.description == "\(path).partial:/architectures/wide: parameter structure differs from /architectures/tiny: tensor 0 ('w') has shape [4, 2], expected [3, 2] (all architectures of one file must share shapes, layers and roles; only names may differ)")
        #expect(throws: ZooStoreError.self) { try writer.addLayout(TwoLayouts.plain) }
        try writer.addLayout(TwoLayouts.dropout)
        try TwoLayouts.fill(writer, models: 1..<4, epochs: 0..<3)
        try writer.finish()
        let reader = try ZooReader(path: path)
        #expect(reader.formatVersion == 2 && reader.layouts.map(\.name) == ["tiny", "tiny_dropout"])
        #expect(reader.layoutRows == [0..<6, 6..<12])
        try TwoLayouts.check(reader)
    }

    @Test func writerRulesForSeveralLayouts() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        let wide = ZooLayout(name: "wide", table: try ParameterTable(stateDict: [("w", [3, 2]), ("b", [3]), ("v", [2, 3])]))
        let mismatch = #expect(throws: ZooStoreError.self) {
            try ZooWriter.create(path: path, layouts: [TwoLayouts.plain, wide])
        }
        #expect(mismatch?.description.contains("/architectures/wide: parameter structure differs from /architectures/tiny: 3 tensors, expected 4") == true)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(throws: ZooStoreError.self) { try ZooWriter.create(path: path, layouts: [TwoLayouts.plain, TwoLayouts.plain]) }
        #expect(throws: ZooStoreError.self) { try ZooWriter.create(path: path, layouts: []) }

        let writer = try ZooWriter.create(path: path, layouts: [TwoLayouts.plain, TwoLayouts.dropout])
        try writer.addModel(ModelRecord(id: "a"))
        let which = #expect(throws: ZooStoreError.self) { try writer.appendCheckpoint(model: "a", epoch: 0, row: TinyZoo.row(model: 0, epoch: 0)) }
        #expect(which?.description == "\(path).partial:/architectures: model 'a': which architecture? this file has tiny, tiny_dropout; pass layout:")
        try writer.appendCheckpoint(model: "a", epoch: 0, row: TinyZoo.row(model: 0, epoch: 0), layout: "tiny")
        try writer.appendCheckpoint(model: "a", epoch: 1, row: TinyZoo.row(model: 0, epoch: 1))
        let spans = #expect(throws: ZooStoreError.self) {
            try writer.appendCheckpoint(model: "a", epoch: 2, row: TinyZoo.row(model: 0, epoch: 2), layout: "tiny_dropout")
        }
        #expect(spans?.description == "\(path).partial:/architectures/tiny_dropout: model 'a' already has rows in /architectures/tiny; all checkpoints of a model share one architecture")
        #expect(throws: ZooStoreError.self) { try writer.addModel(ModelRecord(id: "b"), layout: "nope") }
        #expect(writer.layout(ofModel: "a") == "tiny")
        writer.close()
    }

    @Test func interruptedTwoLayoutWriteResumes() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        do {
            let writer = try ZooWriter.create(path: path, layouts: [TwoLayouts.plain, TwoLayouts.dropout], rowsPerChunk: 2)
            try TwoLayouts.fill(writer, models: 0..<3, epochs: 0..<3)
            try writer.flush()
            // Dropped without finish(): the process was interrupted.
        }
        // A crash in the middle of an append to the second group: rows beyond its committed count.
        do {
            let f = try File(path: path + ".partial", mode: .readWrite)
            try f.openDataset("architectures/tiny_dropout/weights").resize(to: [7, 17])
        }
        let writer = try ZooWriter.resume(path: path)
        #expect(writer.layouts == [TwoLayouts.plain, TwoLayouts.dropout])
        #expect(writer.checkpointCount == 9 && writer.modelCount == 3)
        #expect(writer.layout(ofModel: "m1") == "tiny_dropout")
        // Old models continue in their own group without naming it; new ones name theirs.
        try TwoLayouts.fill(writer, models: 0..<6, epochs: 3..<4)
        try TwoLayouts.fill(writer, models: 3..<6, epochs: 0..<3)
        try writer.finish()

        let reader = try ZooReader(path: path)
        #expect(reader.checkpointCount == 24)
        #expect(reader.models.map(\.id) == ["m0", "m1", "m2", "m3", "m4", "m5"])
        try TwoLayouts.check(reader)
        #expect(Set(reader.layoutRows[1].map { reader.model(row: $0).id }) == ["m1", "m3", "m5"])
    }

    @Test func badMultiLayoutFilesAreOneClearError() throws {
        let dir = TemporaryDirectory()
        let good = dir.path("good.h5")
        let writer = try ZooWriter.create(path: good, layouts: [TwoLayouts.plain, TwoLayouts.dropout])
        try TwoLayouts.fill(writer, models: 0..<2, epochs: 0..<2)
        try writer.finish()
        func broken(_ name: String, _ edit: (File) throws -> Void) throws -> String? {
            let path = dir.path(name)
            try FileManager.default.copyItem(atPath: good, toPath: path)
            do { try edit(try File(path: path, mode: .readWrite)) }
            let error = #expect(throws: ZooStoreError.self) { try ZooReader(path: path) }
            return error?.description
        }
        // The second group's shapes differ from the first's.
        let shapes = try broken("shapes.h5") { f in
            let table = try ParameterTable(stateDict: [("module_list.0.weight", [2, 3]), ("module_list.0.bias", [2]),
                                                       ("module_list.3.weight", [3, 2]), ("module_list.3.bias", [3])])
            try f.openGroup("architectures/tiny_dropout").attributes.setJSON("parameter_table", table.entries)
        }
        #expect(shapes == "\(dir.path("shapes.h5")):/architectures/tiny_dropout: parameter structure differs from /architectures/tiny: tensor 0 ('module_list.0.weight') has shape [2, 3], expected [3, 2] (all architectures of one file must share shapes, layers and roles; only names may differ)")
        // A listed group that is missing.
        let missing = try broken("missing.h5") { f in try f.delete("architectures/tiny_dropout") }
        #expect(missing?.hasPrefix("\(dir.path("missing.h5")):/architectures/tiny_dropout: missing") == true)
        // Several groups in a file that claims version 1.
        let version = try broken("version.h5") { f in try f.attributes.set("format_version", 1) }
        #expect(version == "\(dir.path("version.h5")):/: 2 architectures in a format_version 1 file; expected format_version 2")
        // The list must start with `architecture`.
        let order = try broken("order.h5") { f in try f.attributes.setJSON("architectures", ["tiny_dropout", "tiny"]) }
        #expect(order == "\(dir.path("order.h5")):/: root attribute 'architectures' [\"tiny_dropout\", \"tiny\"] must start with 'architecture' ('tiny')")
        // A model with rows in both groups.
        let both = try broken("both.h5") { f in
            try f.openDataset("architectures/tiny_dropout/model").write([Int64(0), 0])
        }
        #expect(both == "\(dir.path("both.h5")):/architectures/tiny_dropout/model: model 'm0' also has rows in /architectures/tiny; expected each model in one architecture")
        // Newer than this build.
        let newer = try broken("newer.h5") { f in try f.attributes.set("format_version", 3) }
        #expect(newer == "\(dir.path("newer.h5")):/: format_version 3 is newer than this hyperzoo reads (2); upgrade hyperzoo")
    }
}
