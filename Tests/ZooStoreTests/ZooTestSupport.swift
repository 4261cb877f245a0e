// Helpers for zoo tests: a tiny two-layer table and deterministic rows.
import ZooStore

enum TinyZoo {
    /// linear 3←2 and linear 2←3: 6 + 3 + 6 + 2 = 17 parameters.
    static let table = try! ParameterTable(stateDict: [
        ("module_list.0.weight", [3, 2]), ("module_list.0.bias", [3]),
        ("module_list.2.weight", [2, 3]), ("module_list.2.bias", [2]),
    ])

    static func row(model: Int, epoch: Int) -> [Float] {
        (0..<table.parameterCount).map { Float(model * 1000 + epoch * 10) + Float($0) / 100 }
    }

    static func metrics(model: Int, epoch: Int) -> CheckpointMetrics {
        CheckpointMetrics(trainLoss: Float(10 - epoch), trainAccuracy: Float(epoch) / 10,
                          testAccuracy: epoch == 0 ? .nan : Float(model + epoch) / 100)
    }

    /// Writes `models` models × `epochs` epochs through a writer (not finished).
    static func fill(_ writer: ZooWriter, models: Range<Int>, epochs: Range<Int>) throws {
        for m in models {
            if !writer.hasModel("m\(m)") {
                try writer.addModel(ModelRecord(id: "m\(m)", seed: m, dataset: "tiny", split: m % 3 == 0 ? .test : .train,
                                                hyperparameters: ["lr": 0.001, "activation": "tanh"],
                                                provenance: ["generator": "test"]))
            }
            for e in epochs {
                try writer.appendCheckpoint(model: "m\(m)", epoch: e, row: row(model: m, epoch: e), metrics: metrics(model: m, epoch: e))
            }
        }
    }

    static func write(_ path: String, models: Int = 3, epochs: Int = 4, compression: Bool = false) throws {
        let writer = try ZooWriter.create(path: path, architecture: "tiny", table: table,
                                          config: ["recipe": ["epochs": .number(Double(epochs))]],
                                          compression: compression ? .gzip : nil, rowsPerChunk: 5)
        try fill(writer, models: 0..<models, epochs: 0..<epochs)
        try writer.finish()
    }
}
