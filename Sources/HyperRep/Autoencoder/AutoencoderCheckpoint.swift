// AE checkpoints in the project's HDF5 family (`format = hyperzoo.ae`); the layout is documented
// for h5py users in schemas/ae-checkpoint.md:
//   /                 attrs format, format_version, config (JSON), source
//   /parameters/NAME  float32, the PyTorch state_dict shape of each tensor (AE and projection head)
//   /buffers/NAME     float32 BatchNorm running statistics of the projection head
//   /training         (optional) attrs options, objective, scheduler, dropout_stream (JSON), epoch,
//                     optimizer_steps, diagnostics (JSON, AutoencoderDiagnostics; only in finished
//                     runs); datasets optimizer_state float32 [k, count], history (JSON string)
// Files are written to `<path>.partial` and renamed into place when complete.
import Foundation
import HDF5
import Tensor
import ZooStore

/// Reads and writes autoencoder checkpoints.
public enum AutoencoderCheckpoint {
    // NaN and infinities as NonFiniteJSON spells them; checkpoints written with "nan"/"inf" still read.
    static func encoder() -> JSONEncoder { NonFiniteJSON.encoder() }
    static func json<T: Encodable>(_ v: T) throws -> String { String(decoding: try encoder().encode(v), as: UTF8.self) }

    /// Writes `model` (and the training state, if given) to `path`, atomically.
    /// - Parameter source: provenance, e.g. "import-ghrp checkpoint_ae.pt" or "hz-train zoo.h5".
    public static func save(_ model: Autoencoder, training: AutoencoderTrainingState? = nil, source: String,
                            to path: String, overwrite: Bool = true) throws {
        let output = try AtomicOutput(path: path, overwrite: overwrite)
        do {
            let file = try File(path: output.partialPath, mode: .create)
            try ZooFormat.ae.stamp(file)
            try file.attributes.set("config", try json(model.config))
            try file.attributes.set("source", source)
            let parameters = try file.createGroup("parameters")
            for v in model.parameters.views {
                let values = Array(UnsafeBufferPointer(start: model.parameters.values + v.offset, count: v.count))
                _ = try parameters.createDataset(v.name, data: values, shape: v.shape)
            }
            let buffers = try file.createGroup("buffers")
            for v in model.buffers.views {
                let values = Array(UnsafeBufferPointer(start: model.buffers.values + v.offset, count: v.count))
                _ = try buffers.createDataset(v.name, data: values, shape: v.shape)
            }
            if let t = training {
                let g = try file.createGroup("training")
                try g.attributes.set("options", try json(t.options))
                try g.attributes.set("objective", try json(t.objective))
                try g.attributes.set("scheduler", try json(t.scheduler))
                try g.attributes.set("dropout_stream", try json(t.dropoutStream))
                try g.attributes.set("epoch", t.epoch)
                try g.attributes.set("optimizer_steps", t.optimizerSteps)
                if let d = t.diagnostics { try g.attributes.set("diagnostics", try json(d)) }
                let k = max(t.optimizerState.count / max(model.parameters.count, 1), 1)
                _ = try g.createDataset("optimizer_state", data: t.optimizerState, shape: [k, t.optimizerState.count / k])
                // The history can outgrow an attribute (64 KiB): keep it as a JSON string dataset.
                _ = try g.createDataset("history", strings: [try json(t.history)])
            }
            try file.flush()
            try file.closeReportingErrors()
            try output.commit()
        } catch {
            unlink(output.partialPath)
            throw error
        }
    }

    /// Reads an AE checkpoint: the model, and the training state when the file has one.
    /// - Throws: errors naming the file and object (wrong format, missing or mis-shaped tensor).
    public static func load(path: String) throws -> (model: Autoencoder, training: AutoencoderTrainingState?) {
        let file = try File(path: path, mode: .readOnly)
        defer { file.close() }
        _ = try ZooFormat.check(file, accepted: [.ae])
        let config = try NonFiniteJSON.decode(AutoencoderConfig.self, from: Data(try file.attributes.string("config").utf8))
        let model = try Autoencoder(config: config)
        for (flat, group) in [(model.parameters, "parameters"), (model.buffers, "buffers")] {
            for v in flat.views {
                let object = "/\(group)/\(v.name)"
                guard file.contains("\(group)/\(v.name)") else {
                    throw AutoencoderError("\(path):\(object): missing (expected float32 \(v.shape))")
                }
                let ds = try file.openDataset("\(group)/\(v.name)")
                guard try ds.shape == v.shape else {
                    throw AutoencoderError("\(path):\(object): shape \(try ds.shape), expected \(v.shape)")
                }
                let values: [Float] = try ds.read()
                values.withUnsafeBufferPointer { (flat.values + v.offset).update(from: $0.baseAddress!, count: v.count) }
            }
        }
        guard file.contains("training") else { return (model, nil) }
        let g = try file.openGroup("training")
        func decode<T: Decodable>(_ name: String, _ type: T.Type) throws -> T {
            do { return try NonFiniteJSON.decode(type, from: Data(try g.attributes.string(name).utf8)) } catch {
                throw AutoencoderError("\(path):/training@\(name): cannot read (\(error))")
            }
        }
        let history: [AutoencoderEpochMetrics]
        do {
            let text = try g.openDataset("history").readStrings().first ?? "[]"
            history = try NonFiniteJSON.decode([AutoencoderEpochMetrics].self, from: Data(text.utf8))
        } catch {
            throw AutoencoderError("\(path):/training/history: cannot read (\(error))")
        }
        var state = AutoencoderTrainingState(
            options: try decode("options", AutoencoderTrainingOptions.self),
            objective: try decode("objective", AutoencoderObjective.self),
            epoch: try g.attributes.int("epoch"), optimizerSteps: try g.attributes.int("optimizer_steps"),
            optimizerState: try g.openDataset("optimizer_state").read(),
            scheduler: try decode("scheduler", LearningRateScheduler.self),
            dropoutStream: try decode("dropout_stream", RandomStream.self), history: history)
        if g.attributes.contains("diagnostics") { state.diagnostics = try decode("diagnostics", AutoencoderDiagnostics.self) }
        return (model, state)
    }
}
