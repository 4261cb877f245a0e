// ZooFormat: the file family (zoo, ae, population), its version, and the layout's fixed names.
// The layout is documented for h5py users in schemas/zoo-layout.md; keep the two in step.
import HDF5

/// Which member of the hyperzoo HDF5 family a file is (root attribute `format`).
public enum ZooFormat: String, Sendable, CaseIterable, Codable {
    /// A trained model zoo.
    case zoo = "hyperzoo.zoo"
    /// A hyper-representation autoencoder checkpoint (layout owned by HyperRep).
    case ae = "hyperzoo.ae"
    /// Sampled weights: the zoo layout plus sampler attributes.
    case population = "hyperzoo.population"

    /// The newest `format_version` this build writes and reads. Version 2 is a zoo whose
    /// `/architectures` holds more than one parameter layout (root attribute `architectures`);
    /// files with one layout, and every AE checkpoint, are still written as version 1.
    public static let currentVersion = 2
    /// The version of a zoo or population file with one parameter layout (and of AE checkpoints).
    public static let singleLayoutVersion = 1
    /// The version of a zoo or population file with several parameter layouts: a version-1
    /// reader would see only the first group and silently miss the other models.
    public static let multiLayoutVersion = 2

    /// Writes `format` and `format_version` (default 1) on the root of `file`.
    public func stamp(_ file: File, version: Int = ZooFormat.singleLayoutVersion) throws {
        try file.attributes.set(Layout.formatAttribute, rawValue)
        try file.attributes.set(Layout.versionAttribute, version)
    }

    /// Reads and checks the root attributes of an open file.
    /// - Returns: the format and its version.
    /// - Throws: `ZooStoreError` `.foreignFormat` (no/unknown `format`, or not in `accepted`) or
    ///   `.newerVersion`.
    public static func check(_ file: File, accepted: Set<ZooFormat>) throws -> (ZooFormat, Int) {
        let path = file.filePath
        let attributes = file.attributes
        guard attributes.contains(Layout.formatAttribute) else {
            throw ZooStoreError(.foreignFormat, path: path, object: "/",
                                message: "not a hyperzoo file: no root attribute '\(Layout.formatAttribute)'")
        }
        guard let text = attributes[Layout.formatAttribute]?.stringValue else {
            throw ZooStoreError(.foreignFormat, path: path, object: "/", message: "root attribute 'format' is not a string")
        }
        guard let format = ZooFormat(rawValue: text) else {
            throw ZooStoreError(.foreignFormat, path: path, object: "/",
                                message: "unknown format '\(text)', expected one of \(ZooFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard accepted.contains(format) else {
            throw ZooStoreError(.foreignFormat, path: path, object: "/",
                                message: "format is '\(text)', expected \(accepted.map(\.rawValue).sorted().joined(separator: " or "))")
        }
        guard let version = attributes[Layout.versionAttribute]?.intValue else {
            throw ZooStoreError(.foreignFormat, path: path, object: "/", message: "missing integer root attribute 'format_version'")
        }
        guard version <= currentVersion else {
            throw ZooStoreError(.newerVersion, path: path, object: "/",
                                message: "format_version \(version) is newer than this hyperzoo reads (\(currentVersion)); upgrade hyperzoo")
        }
        guard version >= 1 else {
            throw ZooStoreError(.foreignFormat, path: path, object: "/", message: "invalid format_version \(version)")
        }
        return (format, version)
    }
}

/// Names of the layout's groups, datasets and attributes (schemas/zoo-layout.md).
enum Layout {
    static let formatAttribute = "format"
    static let versionAttribute = "format_version"
    static let architectureAttribute = "architecture"
    /// JSON array of every group under `/architectures`, in row order (files with several layouts).
    static let architecturesAttribute = "architectures"
    static let configAttribute = "config"
    static let createdByAttribute = "created_by"
    static let reservedRootAttributes: Set<String> = [formatAttribute, versionAttribute, architectureAttribute, architecturesAttribute,
                                                        configAttribute, createdByAttribute]

    static let architectures = "architectures"
    static func architecture(_ name: String) -> String { "\(architectures)/\(name)" }
    static let tableAttribute = "parameter_table"
    static let parameterCountAttribute = "parameter_count"
    static let committedRowsAttribute = "checkpoint_count"
    static let weights = "weights"
    static let modelColumn = "model"
    static let epochColumn = "epoch"
    static let parameterNames = "parameter_names"
    static let parameterOffsets = "parameter_offsets"

    static let models = "models"
    static let committedModelsAttribute = "model_count"
    static let modelID = "id"
    static let modelSeed = "seed"
    static let modelDataset = "dataset"
    static let modelSplit = "split"
    static let modelHyperparameters = "hyperparameters"
    static let modelProvenance = "provenance"
    static let modelStringColumns = [modelID, modelDataset, modelSplit, modelHyperparameters, modelProvenance]
}
