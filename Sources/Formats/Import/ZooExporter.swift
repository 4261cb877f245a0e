// Takes weights back out: every checkpoint of a zoo file as DIR/<model>/epoch_<N>.safetensors with
// the original state_dict names and shapes, loadable with safetensors.torch.load_file and
// model.load_state_dict. The folder is built under a temporary name and renamed into place.
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
        if manager.fileExists(atPath: directory) && !overwrite {
            throw FormatError(file: directory, "already exists (pass --force to replace it)")
        }
        let reader = try ZooReader(path: zoo)
        let rows = (0..<reader.checkpointCount).filter { epochs?.contains(reader.epoch[$0]) ?? true }
        let staging = directory + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        try? manager.removeItem(atPath: staging)
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
                let tensors = reader.table(ofRow: row).entries.map { entry in
                    (name: entry.name, shape: entry.shape,
                     values: Array(batch.values[(base + entry.offset)..<(base + entry.offset + entry.count)]))
                }
                try Safetensors.write(tensors, metadata: ["format": "pt", "model": model.id, "epoch": String(reader.epoch[row])],
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

    /// A model id usable as one path component.
    static func safeName(_ id: String) -> String {
        let cleaned = id.map { $0 == "/" || $0 == "\0" ? "_" : $0 }
        let name = String(cleaned)
        return name == "." || name == ".." || name.isEmpty ? "_\(name)" : name
    }
}
