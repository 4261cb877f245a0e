// Zoo files: write, read back, stream, select, flag.
import Foundation
import Testing
import HDF5
import ZooStore
import TestSupport

@Suite struct ZooRoundTripTests {
    @Test(arguments: [false, true]) func writeThenRead(compressed: Bool) throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        try TinyZoo.write(path, models: 3, epochs: 4, compression: compressed)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))

        let reader = try ZooReader(path: path)
        #expect(reader.format == .zoo && reader.formatVersion == 1)
        #expect(reader.architecture == "tiny")
        #expect(reader.table == TinyZoo.table)
        #expect(reader.config["recipe"]?["epochs"]?.intValue == 4)
        #expect(reader.checkpointCount == 12 && reader.parameterCount == 17)
        #expect(reader.models.map(\.id) == ["m0", "m1", "m2"])
        #expect(reader.models[1] == ModelRecord(id: "m1", seed: 1, dataset: "tiny", split: .train,
                                                hyperparameters: ["lr": 0.001, "activation": "tanh"],
                                                provenance: ["generator": "test"]))
        #expect(reader.modelIndex == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
        #expect(reader.epoch == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
        #expect(reader.metrics(row: 6) == TinyZoo.metrics(model: 1, epoch: 2))
        #expect(reader.metrics(row: 4).testAccuracy.isNaN)
        #expect(try reader.readRow(6) == TinyZoo.row(model: 1, epoch: 2))
        #expect(try reader.readRows(indices: [9, 2, 3]) == TinyZoo.row(model: 2, epoch: 1) + TinyZoo.row(model: 0, epoch: 2) + TinyZoo.row(model: 0, epoch: 3))

        // Streaming in order with a batch size that does not divide the row count.
        var batches = reader.rows(batchSize: 5)
        var seen: [Int] = []
        while let batch = try batches.next() {
            for (k, row) in batch.rows.enumerated() {
                let values = Array(batch.values[(k * 17)..<((k + 1) * 17)])
                #expect(values == TinyZoo.row(model: reader.modelIndex[row], epoch: reader.epoch[row]))
                seen.append(row)
            }
        }
        #expect(seen == Array(0..<12))

        let w = try File(path: path).openDataset("architectures/tiny/weights")
        #expect(try w.chunks == [5, 17])
        #expect(try w.compression == (compressed ? DatasetCompression.gzip : nil))
    }

    @Test func selectionTopKAndFlags() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        let writer = try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table, rowsPerChunk: 4)
        try TinyZoo.fill(writer, models: 0..<3, epochs: 0..<3)
        var bad = TinyZoo.row(model: 9, epoch: 0)
        bad[3] = .nan
        try writer.addModel(ModelRecord(id: "nan", split: .val))
        try writer.appendCheckpoint(model: "nan", epoch: 0, row: bad)
        var big = TinyZoo.row(model: 0, epoch: 0)
        big[16] = -1e6
        try writer.appendCheckpoint(model: "nan", epoch: 1, row: big)
        try writer.finish()

        let reader = try ZooReader(path: path)
        #expect(reader.select(split: .test) == [0, 1, 2])
        #expect(reader.select(split: .val) == [9, 10])
        #expect(reader.select(epochs: [2]) == [2, 5, 8])
        #expect(reader.select(split: .train, epochs: [0, 1], models: ["m1"]) == [3, 4])
        // testAccuracy = (model + epoch)/100, unknown at epoch 0: best first, NaN skipped.
        #expect(reader.topK(3, by: .testAccuracy) == [8, 5, 7])
        #expect(reader.topK(2, by: .trainLoss) == [2, 5])
        let flags = try reader.flagged(nanOrAbove: 1e5, batchSize: 3)
        #expect(flags.map(\.row) == [9, 10])
        #expect(flags[0].nonFiniteCount == 1)
        #expect(flags[1].maxAbs == 1e6)

        // A seeded re-split keeps all epochs of a model together.
        for seed in [UInt64(1), 2, 3] {
            let splitOf = Dictionary(grouping: 0..<reader.checkpointCount) { reader.modelIndex[$0] }
            for s in Split.allCases {
                let rows = Set(reader.select(split: s, splitSeed: seed))
                for (_, modelRows) in splitOf { #expect(rows.isSuperset(of: modelRows) || rows.isDisjoint(with: modelRows)) }
            }
        }
    }

    @Test func populationMetadata() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("pop.h5")
        let writer = try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table, format: .population)
        try writer.setMetadata("sampler", ["kind": "kde", "anchors": 100])
        try writer.setMetadata("seed", 7)
        #expect(throws: ZooStoreError.self) { try writer.setMetadata("format", "x") }
        try TinyZoo.fill(writer, models: 0..<1, epochs: 0..<1)
        try writer.finish()
        let reader = try ZooReader(path: path)
        #expect(reader.format == .population)
        #expect(reader.metadata("sampler") == ["anchors": 100, "kind": "kde"])
        #expect(reader.metadata("seed")?.intValue == 7)
        #expect(reader.metadataNames == ["sampler", "seed"])
        let onlyZoo = #expect(throws: ZooStoreError.self) { try ZooReader(path: path, formats: [.zoo]) }
        #expect(onlyZoo?.kind == .foreignFormat)
    }

    @Test func emptyZooIsReadable() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("empty.h5")
        try ZooWriter.create(path: path, architecture: "tiny", table: TinyZoo.table).finish()
        let reader = try ZooReader(path: path)
        #expect(reader.checkpointCount == 0 && reader.models.isEmpty)
        var batches = reader.rows(batchSize: 4)
        #expect(try batches.next() == nil)
        #expect(try reader.flagged(nanOrAbove: 1).isEmpty)
        #expect(Split.assign(modelIDs: [], seed: 1).isEmpty)
    }

    @Test func splitAssignmentIsDeterministicAndOrderFree() {
        let ids = (0..<100).map { "model\($0)" }
        let a = Split.assign(modelIDs: ids, seed: 42)
        #expect(a == Split.assign(modelIDs: ids, seed: 42))
        #expect(a != Split.assign(modelIDs: ids, seed: 43))
        let reversed = Split.assign(modelIDs: ids.reversed(), seed: 42)
        #expect(Array(reversed.reversed()) == a)
        #expect(a.filter { $0 == .train }.count == 70)
        #expect(a.filter { $0 == .val }.count == 15)
        #expect(a.filter { $0 == .test }.count == 15)
    }

    @Test func jsonValueRoundTrips() throws {
        let value: JSONValue = ["b": [1, 2.5, "x", nil, true], "a": ["nested": 3]]
        #expect(value.jsonText == #"{"a":{"nested":3},"b":[1,2.5,"x",null,true]}"#)
        #expect(try JSONValue(parsing: value.jsonText) == value)
        #expect(throws: ZooStoreError.self) { try JSONValue(parsing: "{") }
    }

    @Test func jsonTextQuotesLikeEveryHandWrittenJSON() throws {
        let s = "a\"b\\c\n\r\t\u{1}\u{1f}/é😀"
        #expect(JSONText.quote(s) == #""a\"b\\c\n\r\t\u0001\u001f/é😀""#)
        // Any JSON parser reads it back as the same string.
        let parsed = try JSONSerialization.jsonObject(with: Data(JSONText.quote(s).utf8), options: .fragmentsAllowed)
        #expect(parsed as? String == s)
    }
}

/// The JSON written into files matches the JSON Schemas documented in schemas/.
@Suite struct ZooSchemaTests {
    func schema(_ name: String) throws -> [String: Any] {
        let url = Fixtures.repositoryRoot.appendingPathComponent("schemas/\(name)")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    @Test func parameterTableAttributeHasTheSchemaKeys() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        try TinyZoo.write(path, models: 1, epochs: 1)
        let text = try File(path: path).openGroup("architectures/tiny").attributes.string("parameter_table")
        let entries = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [[String: Any]]
        let items = try schema("parameter-table.schema.json")["items"] as! [String: Any]
        let required = Set(items["required"] as! [String])
        let properties = items["properties"] as! [String: [String: Any]]
        var offset = 0
        for entry in entries {
            #expect(Set(entry.keys) == required)
            #expect(properties["kind"]!["enum"] as! [String] == ["conv2d", "linear", "other"])
            #expect((properties["kind"]!["enum"] as! [String]).contains(entry["kind"] as! String))
            #expect((properties["role"]!["enum"] as! [String]).contains(entry["role"] as! String))
            #expect(entry["offset"] as? Int == offset)
            offset += (entry["shape"] as! [Int]).reduce(1, *)
        }
        #expect(offset == TinyZoo.table.parameterCount)
        for name in ["config", "model-hyperparameters", "model-provenance", "population"] {
            let s = try schema("\(name).schema.json")
            #expect(s["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
            #expect(s["type"] as? String == "object")
        }
        // The `architectures` root attribute of a file with several layouts.
        let list = try schema("architectures.schema.json")
        #expect(list["type"] as? String == "array" && list["minItems"] as? Int == 2)
        let two = dir.path("two.h5")
        let writer = try ZooWriter.create(path: two, layouts: [TwoLayouts.plain, TwoLayouts.dropout])
        try writer.finish()
        let names = try JSONSerialization.jsonObject(with: Data(try File(path: two).attributes.string("architectures").utf8)) as! [String]
        #expect(names.count >= 2 && Set(names).count == names.count && names.allSatisfy { !$0.isEmpty && !$0.contains("/") })
    }
}
