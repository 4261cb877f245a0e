// Takes weights back out: every checkpoint of a zoo file as DIR/<model>/epoch_<N>.safetensors with
// the original state_dict names and shapes, loadable with safetensors.torch.load_file and
// model.load_state_dict. The folder is built under a temporary name and renamed into place.
import FileIO
import Foundation
import ZooStore

/// Exports zoo checkpoints to other formats.
public enum ZooExporter {
    /// Writes `DIR/<model>/epoch_<N>.safetensors` for each selected checkpoint of `zoo`.
    /// - Parameters:
    ///   - epochs: keep only these epochs (nil: all).
    ///   - overwrite: replace an existing `directory`.
    /// - Returns: the number of files written.
    /// - Throws: `FormatError` if `directory` exists (without `overwrite`) or a write fails;
    ///   `ZooStoreError` if the zoo cannot be read.
    @discardableResult
    public static func exportSafetensors(zoo: String, to directory: String, epochs: Set<Int>? = nil,
                                         overwrite: Bool = false,
                                         progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws -> Int {
        let manager = FileManager.default
        // `exported/` names the folder `exported`: the staging folder goes beside it, not inside.
        var directory = directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        if manager.fileExists(atPath: directory) && !overwrite {
            throw FormatError(file: directory, "already exists (pass --force to replace it)")
        }
        let reader = try ZooReader(path: zoo)
        let rows = (0..<reader.checkpointCount).filter { epochs?.contains(reader.epoch[$0]) ?? true }
        try checkDistinctFiles(reader, rows: rows, zoo: zoo)
        // A folder is staged under a temporary's name (FileIO), so killed runs' folders are removed alike.
        let staging = claimTemporaryPath(besides: directory)
        do {
            try manager.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw FormatError(file: staging, "cannot create folder: \(error.localizedDescription)")
        }
        var committed = false
        defer { if !committed { try? manager.removeItem(atPath: staging) } }

        var createdModels = Set<Int>()
        var written = 0
        var batches = reader.rows(batchSize: 64, indices: rows)
        while let batch = try batches.next() {
            for (k, row) in batch.rows.enumerated() {
                let modelIndex = reader.modelIndex[row]
                let model = reader.models[modelIndex]
                let folder = staging + "/" + safeName(model.id)
                if createdModels.insert(modelIndex).inserted {
                    try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
                }
                let base = k * reader.parameterCount
                // Each row under its own architecture's state_dict names.
                let tensors = try reader.table(ofRow: row).entries.map { entry in
                    try exportedTensor(name: entry.name, shape: entry.shape,
                                       values: batch.values[(base + entry.offset)..<(base + entry.offset + entry.count)])
                }
                try Safetensors.write(tensors: tensors, metadata: ["format": "pt", "model": model.id, "epoch": String(reader.epoch[row])],
                                      to: "\(folder)/epoch_\(reader.epoch[row]).safetensors")
                written += 1
                progress?(written, rows.count)
            }
        }
        if manager.fileExists(atPath: directory) {
            do { try manager.removeItem(atPath: directory) } catch {
                throw FormatError(file: directory, "cannot replace: \(error.localizedDescription)")
            }
        }
        do { try manager.moveItem(atPath: staging, toPath: directory) } catch {
            throw FormatError(file: directory, "cannot move \(staging) into place: \(error.localizedDescription)")
        }
        committed = true
        return written
    }

    /// Refuses, before anything is written, a zoo whose rows would land on the same file: two
    /// models whose ids give the same folder, or one model with an epoch twice. (Writing them
    /// would overwrite files while counting each, reporting more files than exist.)
    static func checkDistinctFiles(_ reader: ZooReader, rows: [Int], zoo: String) throws {
        var modelOfFolder: [String: Int] = [:]
        var files = Set<String>()
        for row in rows {
            let modelIndex = reader.modelIndex[row]
            let folder = safeName(reader.models[modelIndex].id)
            if let other = modelOfFolder[folder], other != modelIndex {
                throw FormatError(file: zoo, object: "models", "models \(other) and \(modelIndex) both have id '\(reader.models[modelIndex].id)' (or ids that name the same folder '\(folder)'); each exported model needs its own folder: give the models distinct ids")
            }
            modelOfFolder[folder] = modelIndex
            guard files.insert("\(folder)/\(reader.epoch[row])").inserted else {
                throw FormatError(file: zoo, object: "checkpoints", "model '\(reader.models[modelIndex].id)' has epoch \(reader.epoch[row]) twice; both would be written to epoch_\(reader.epoch[row]).safetensors")
            }
        }
    }

    /// One state_dict entry as PyTorch stores it: BatchNorm's `num_batches_tracked` is an int64
    /// counter (the zoo keeps every value as float32), everything else float32.
    static func exportedTensor(name: String, shape: [Int], values: some Collection<Float>) throws -> (name: String, tensor: HostTensor) {
        guard name == "num_batches_tracked" || name.hasSuffix(".num_batches_tracked") else {
            return (name, HostTensor(floats: Array(values), shape: shape))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 8)
        for v in values {
            guard v.isFinite, v >= 0, v < 9.0e15 else {
                throw FormatError(file: name, "num_batches_tracked holds \(v), not a count")
            }
            withUnsafeBytes(of: Int64(v.rounded()).littleEndian) { bytes += $0 }
        }
        return (name, try HostTensor(dtype: .int64, shape: shape, bytes: bytes))
    }

    /// A model id usable as one path component.
    static func safeName(_ id: String) -> String {
        let cleaned = id.map { $0 == "/" || $0 == "\0" ? "_" : $0 }
        let name = String(cleaned)
        return name == "." || name == ".." || name.isEmpty ? "_\(name)" : name
    }
}
