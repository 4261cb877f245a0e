// Finds the models and checkpoints in what the user points hz-convert at:
// - a Model Zoos folder: trial folders holding params.json, result.json (JSON lines, line k =
//   epoch k) and checkpoint_<N>/checkpoints (N with or without zero padding; `optimizer` ignored);
// - a single trial folder;
// - an export folder written by `hz-convert --to safetensors`: <model>/epoch_<N>.safetensors;
// - loose files (.pt/.pth/.safetensors/.npz): one model each, epoch from `epoch_<N>` in the name, else 0.
// Scanning reads only small JSON files; checkpoints are read later, in parallel.
import FileIO
import Foundation
import Parallel
import ZooStore

/// One model found in the sources.
public struct SourceModel: Sendable {
    /// Unique id (the trial folder or file name).
    public var id: String
    /// Its hyperparameters (params.json), or an empty object.
    public var hyperparameters: JSONValue
    /// Its seed, if params.json has an integer `seed`.
    public var seed: Int?
    /// Checkpoint files by epoch, ascending.
    public var checkpoints: [(epoch: Int, path: String)]
    /// Metrics per epoch from result.json.
    public var metrics: [Int: CheckpointMetrics]
    /// Where it came from.
    public var folder: String
    /// Problems found while scanning (missing result lines, unreadable JSON).
    public var problems: [String]
}

/// What the sources hold.
public struct SourceScan: Sendable {
    public enum Kind: String, Sendable, Codable {
        case modelZoos = "model-zoos", trial, export, files
    }
    public var kind: Kind
    public var models: [SourceModel]
    /// The zoo-level config.json of a Model Zoos folder (else null).
    public var zooConfig: JSONValue
}

public enum SourceScanner {
    static let fileExtensions = [".pt", ".pth", ".ckpt", ".bin", ".safetensors", ".npz"]

    /// Scans `paths` (all of one kind).
    /// - Throws: `FormatError` if a path is missing or of no recognisable kind.
    public static func scan(_ paths: [String]) throws -> SourceScan {
        var models: [SourceModel] = []
        var kinds = Set<SourceScan.Kind>()
        var zooConfig: JSONValue = .null
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw FormatError(file: path, "no such file or folder")
            }
            if !isDirectory.boolValue {
                guard fileExtensions.contains(where: { path.lowercased().hasSuffix($0) }) else {
                    throw FormatError(file: path, "unknown kind of file (expected .pt, .pth, .ckpt, .bin, .safetensors or .npz, or a folder)")
                }
                kinds.insert(.files)
                models.append(looseFile(path))
                continue
            }
            let children = try subfolders(path)
            if !checkpointFolders(path).isEmpty {
                kinds.insert(.trial)
                models.append(try trial(path))
            } else if children.contains(where: { !checkpointFolders($0).isEmpty || exists($0 + "/params.json") }) {
                kinds.insert(.modelZoos)
                let trials = children.filter { !checkpointFolders($0).isEmpty || exists($0 + "/params.json") }
                models += try scanTrials(trials)
                if let data = try optionalFile(path + "/config.json"),
                   let config = try? JSONDecoder().decode(JSONValue.self, from: data) {
                    zooConfig = config
                }
            } else if children.contains(where: { !exportFiles($0).isEmpty }) {
                kinds.insert(.export)
                for child in children {
                    let files = exportFiles(child)
                    if files.isEmpty { continue }
                    models.append(SourceModel(id: URL(fileURLWithPath: child).lastPathComponent, hyperparameters: [:], seed: nil,
                                              checkpoints: files, metrics: [:], folder: child, problems: []))
                }
            } else if case let files = checkpointFiles(path), !files.isEmpty {
                // A folder of plain checkpoint files (model_a.pt, model_b.pt): one model each.
                kinds.insert(.files)
                for file in files { models.append(looseFile(file)) }
            } else {
                throw FormatError(file: path, "no Model Zoos trial folders (params.json, checkpoint_<N>/), no <model>/epoch_<N>.safetensors and no checkpoint files (\(fileExtensions.joined(separator: " "))) found")
            }
        }
        guard kinds.count <= 1 else {
            throw FormatError(file: paths.joined(separator: ", "), "sources mix kinds (\(kinds.map(\.rawValue).sorted().joined(separator: ", "))): convert them separately")
        }
        var seen = Set<String>()
        for model in models where !seen.insert(model.id).inserted {
            throw FormatError(file: model.folder, "model id '\(model.id)' appears twice in the sources")
        }
        return SourceScan(kind: kinds.first ?? .files, models: models, zooConfig: zooConfig)
    }

    /// Scans trial folders on all cores (each reads its params.json and result.json); input order.
    static func scanTrials(_ folders: [String]) throws -> [SourceModel] {
        try concurrentMap(count: folders.count, threads: availableProcessorCount()) { i, _ in try trial(folders[i]) }
    }

    /// One Ray Tune trial folder.
    /// The bytes of an optional small file of a zoo folder, nil when it does not exist. A FIFO or
    /// device there is an error, not a wait: open() on a FIFO blocks the whole import.
    static func optionalFile(_ path: String) throws -> Data? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return Data(try readRegularFile(atPath: path, limit: maxConfigFileBytes))
    }

    static func trial(_ folder: String) throws -> SourceModel {
        let id = URL(fileURLWithPath: folder).lastPathComponent
        var problems: [String] = []
        var hyperparameters: JSONValue = [:]
        var seed: Int?
        let paramsData: Data?, resultData: Data?
        do { paramsData = try optionalFile(folder + "/params.json") } catch { paramsData = nil; problems.append("\(error)") }
        do { resultData = try optionalFile(folder + "/result.json") } catch { resultData = nil; problems.append("\(error)") }
        if let data = paramsData {
            if let params = try? JSONDecoder().decode(JSONValue.self, from: data) {
                hyperparameters = params
                if case .object(let o) = params, case .number(let s)? = o["seed"], s == s.rounded(), s >= 0, s < 1e15 { seed = Int(s) }
            } else {
                problems.append("params.json is not valid JSON")
            }
        } else if problems.isEmpty {
            problems.append("params.json missing")
        }
        var metrics: [Int: CheckpointMetrics] = [:]
        if let data = resultData {
            let decoder = JSONDecoder()
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for (k, line) in lines.enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
                // Only the six metrics are decoded (Ray Tune lines also carry the whole config).
                guard let r = try? decoder.decode(ResultLine.self, from: Data(line)) else {
                    problems.append("result.json line \(k + 1) is not a JSON object")
                    continue
                }
                func value(_ v: Double?) -> Float { v.map(Float.init) ?? .nan }
                metrics[k] = CheckpointMetrics(trainLoss: value(r.train_loss), trainAccuracy: value(r.train_acc),
                                               valLoss: value(r.val_loss), valAccuracy: value(r.val_acc),
                                               testLoss: value(r.test_loss), testAccuracy: value(r.test_acc))
            }
        } else {
            problems.append("result.json missing (metrics unknown)")
        }
        var checkpoints: [(epoch: Int, path: String)] = []
        for (epoch, sub) in checkpointFolders(folder) {
            checkpoints.append((epoch, sub + "/checkpoints"))
        }
        return SourceModel(id: id, hyperparameters: hyperparameters, seed: seed, checkpoints: checkpoints,
                           metrics: metrics, folder: folder, problems: problems)
    }

    /// The metrics of one result.json line (a missing or non-numeric value is unknown).
    struct ResultLine: Decodable {
        var train_loss, train_acc, val_loss, val_acc, test_loss, test_acc: Double?
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            func number(_ key: Key) -> Double? { (try? c.decodeIfPresent(Double.self, forKey: key)) ?? nil }
            train_loss = number(.train_loss); train_acc = number(.train_acc)
            val_loss = number(.val_loss); val_acc = number(.val_acc)
            test_loss = number(.test_loss); test_acc = number(.test_acc)
        }
        enum Key: String, CodingKey { case train_loss, train_acc, val_loss, val_acc, test_loss, test_acc }
    }

    /// A loose checkpoint file as one model: id = the file's stem, epoch from `epoch_<N>` or 0.
    static func looseFile(_ path: String) -> SourceModel {
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return SourceModel(id: stem, hyperparameters: [:], seed: nil,
                           checkpoints: [(epochNumber(stem, prefix: "epoch_") ?? 0, path)],
                           metrics: [:], folder: path, problems: [])
    }

    /// The checkpoint files (by extension) directly in `folder`, sorted by name.
    static func checkpointFiles(_ folder: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.sorted().filter { name in
            !name.hasPrefix(".") && fileExtensions.contains(where: { name.lowercased().hasSuffix($0) })
        }.map { folder + "/" + $0 }.filter { !isDirectory($0) }
    }

    /// `checkpoint_<N>` subfolders by epoch (sorted; zero padding optional).
    static func checkpointFolders(_ folder: String) -> [(Int, String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.compactMap { name in
            guard let epoch = epochNumber(name, prefix: "checkpoint_"), isDirectory(folder + "/" + name) else { return nil }
            return (epoch, folder + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    /// `epoch_<N>.safetensors` files by epoch.
    static func exportFiles(_ folder: String) -> [(epoch: Int, path: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.compactMap { name -> (Int, String)? in
            guard name.hasSuffix(".safetensors"), let epoch = epochNumber(String(name.dropLast(12)), prefix: "epoch_") else { return nil }
            return (epoch, folder + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    /// N from `<prefix>N` (the whole rest must be digits).
    static func epochNumber(_ name: String, prefix: String) -> Int? {
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    static func subfolders(_ folder: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
                .map { folder + "/" + $0 }.filter(isDirectory)
        } catch {
            throw FormatError(file: folder, "cannot list folder: \(error.localizedDescription)")
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
