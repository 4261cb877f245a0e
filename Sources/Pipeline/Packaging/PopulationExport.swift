// One safetensors file per model of a population (or zoo), so PyTorch users load archived weights
// with `safetensors.torch.load_file` and `model.load_state_dict` without hyperzoo. Each model's
// latest checkpoint is written with the original state_dict names and shapes.
import Foundation
import Formats
import ZooStore

/// Exports models for archives.
public enum PopulationExport {
    /// Writes `<folder>/<model id>.safetensors` for the last epoch of each model in `population`.
    /// - Parameters:
    ///   - entryPrefix: where the files go inside the archive (`models` → `models/<id>.safetensors`).
    /// - Returns: archive inputs for the files and the manifest's model list.
    public static func exportModels(population: String, into folder: String, entryPrefix: String = "models")
        throws -> (inputs: [ArchiveInput], models: [ArchiveManifest.ModelFile]) {
        let reader = try ZooReader(path: population)
        defer { reader.close() }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // The latest checkpoint of each model (a sampled population has one row per model).
        var latest: [Int: Int] = [:]
        for row in 0..<reader.checkpointCount {
            let model = reader.modelIndex[row]
            if let known = latest[model], reader.epoch[known] >= reader.epoch[row] { continue }
            latest[model] = row
        }
        let sourceName = URL(fileURLWithPath: population).lastPathComponent
        var inputs: [ArchiveInput] = []
        var models: [ArchiveManifest.ModelFile] = []
        var usedNames = Set<String>()
        for (modelIndex, row) in latest.sorted(by: { $0.key < $1.key }) {
            let model = reader.models[modelIndex]
            var name = fileName(for: model.id)
            while !usedNames.insert(name).inserted { name = "_" + name }
            let values = try reader.readRow(row)
            // The model's own state_dict names (a zoo may hold several architectures).
            let tensors = reader.table(ofRow: row).entries.map { entry in
                (name: entry.name, shape: entry.shape, values: Array(values[entry.range]))
            }
            let path = folder + "/" + name + ".safetensors"
            try Safetensors.write(tensors, metadata: ["format": "pt", "model": model.id, "epoch": String(reader.epoch[row]),
                                                      "architecture": reader.architecture(ofRow: row)], to: path)
            let entry = "\(entryPrefix)/\(name).safetensors"
            inputs.append(ArchiveInput(entryPath: entry, sourcePath: path))
            models.append(ArchiveManifest.ModelFile(id: model.id, file: entry, source: "\(sourceName)#row=\(row)", epoch: reader.epoch[row]))
        }
        return (inputs, models)
    }

    /// A model id as one safe file name.
    static func fileName(for id: String) -> String {
        let cleaned = String(id.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? "_" + cleaned : cleaned
    }
}
