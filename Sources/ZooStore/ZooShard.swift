// Sharded zoo generation: which models a shard trains, and what a shard file records about
// itself (root attribute `shard`). The assignment is fixed and documented (README, "On a
// cluster"): model index m (file order, m0000 = 0) belongs to shard m mod N. Round-robin, not
// blocks, so a hyperparameter grid's slow and fast configurations spread over all shards.

/// One shard of a zoo: index `index` of `count`.
public struct ZooShard: Sendable, Equatable, Codable {
    public var index: Int
    public var count: Int

    /// Root attribute name holding the shard bookkeeping of a shard file.
    public static let attribute = "shard"
    /// Shards are at most this many (a limit before anything is allocated per shard).
    public static let maxCount = 1_000_000
    /// Models in a sharded zoo are at most this many (the merge allocates per model).
    public static let maxModels = 10_000_000

    public init(index: Int, count: Int) throws {
        guard count >= 1, count <= Self.maxCount else {
            throw ZooStoreError(.invalid, path: "--shard", message: "shard count \(count) must be 1...\(Self.maxCount)")
        }
        guard index >= 0, index < count else {
            throw ZooStoreError(.invalid, path: "--shard", message: "shard index \(index) must be 0...\(count - 1) (I/N counts from 0)")
        }
        self.index = index; self.count = count
    }

    /// Parses `I/N` (0 ≤ I < N), or `env`: Slurm job arrays' SLURM_ARRAY_TASK_ID as I and
    /// SLURM_ARRAY_TASK_COUNT as N (submit with `--array=0-(N-1)`).
    public static func parse(_ text: String, environment: [String: String]) throws -> ZooShard {
        if text == "env" {
            guard let i = environment["SLURM_ARRAY_TASK_ID"].flatMap({ Int($0) }),
                  let n = environment["SLURM_ARRAY_TASK_COUNT"].flatMap({ Int($0) }) else {
                throw ZooStoreError(.invalid, path: "--shard env", message: "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT must both be set to integers (run inside `sbatch --array=0-(N-1)`), or pass --shard I/N")
            }
            return try ZooShard(index: i, count: n)
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw ZooStoreError(.invalid, path: "--shard", message: "'\(text)' is not I/N (e.g. 0/4) or env")
        }
        return try ZooShard(index: i, count: n)
    }

    /// Whether model index `model` (file order) belongs to this shard.
    public func holds(model: Int) -> Bool { model % count == index }

    /// The model indices (file order) of this shard out of `models`.
    public func models(of models: Int) -> [Int] { Array(stride(from: index, to: models, by: count)) }
}

/// The `shard` root attribute of a shard file: what it belongs to and which models it holds.
public struct ZooShardRecord: Sendable, Equatable, Codable {
    /// `ZooShardRecord.digest` of the zoo's `config` attribute: shards of one zoo agree on it.
    public var specDigest: String
    public var index: Int
    public var count: Int
    /// Models in the whole zoo.
    public var totalModels: Int
    /// The model indices (file order of the whole zoo) this shard holds.
    public var models: [Int]

    enum CodingKeys: String, CodingKey {
        case specDigest = "spec_digest", index, count, totalModels = "total_models", models
    }

    public init(specDigest: String, index: Int, count: Int, totalModels: Int, models: [Int]) {
        self.specDigest = specDigest; self.index = index; self.count = count; self.totalModels = totalModels; self.models = models
    }

    /// FNV-1a 64 of the config's canonical JSON text, as 16 hex digits. Not a security hash: it
    /// tells shards of different specs apart (the merge also compares the configs themselves).
    public static func digest(of config: JSONValue) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in config.jsonText.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public var json: JSONValue {
        .object(["spec_digest": .string(specDigest), "index": .number(Double(index)), "count": .number(Double(count)),
                 "total_models": .number(Double(totalModels)), "models": .array(models.map { .number(Double($0)) })])
    }

    /// Reads the record from a reader's root attribute; nil when the file is no shard.
    public static func read(_ reader: ZooReader) throws -> ZooShardRecord? {
        guard let value = reader.metadata(attribute) else { return nil }
        guard case .object(let o) = value,
              case .string(let digest)? = o["spec_digest"],
              case .number(let i)? = o["index"], case .number(let n)? = o["count"],
              case .number(let total)? = o["total_models"], case .array(let ms)? = o["models"] else {
            throw ZooStoreError(.invalid, path: reader.path, object: "/", message: "root attribute 'shard' is not {spec_digest, index, count, total_models, models}")
        }
        // Every number comes from a file: exact integers within the limits, before any Int
        // conversion (Int(Double) traps on NaN, infinities and 1e300) or allocation.
        func integer(_ v: Double, _ what: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let x = Int(exactly: v), range.contains(x) else {
                throw ZooStoreError(.invalid, path: reader.path, object: "/", message: "shard attribute: \(what) \(v) is not an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return x
        }
        let count = try integer(n, "count", 1...ZooShard.maxCount)
        let index = try integer(i, "index", 0...(count - 1))
        let totalModels = try integer(total, "total_models", 0...ZooShard.maxModels)
        guard ms.count <= totalModels else {
            throw ZooStoreError(.invalid, path: reader.path, object: "/", message: "shard attribute lists \(ms.count) models of a \(totalModels)-model zoo")
        }
        var models: [Int] = []
        models.reserveCapacity(ms.count)
        for m in ms {
            guard case .number(let v) = m else {
                throw ZooStoreError(.invalid, path: reader.path, object: "/", message: "shard attribute 'models' holds a non-number")
            }
            models.append(try integer(v, "model index", 0...max(0, totalModels - 1)))
        }
        return ZooShardRecord(specDigest: digest, index: index, count: count, totalModels: totalModels, models: models)
    }

    static let attribute = ZooShard.attribute
}

/// Sorts the files offered to a merge of N shards (zoo shards, evaluation parts): which file holds
/// each index, and one line naming every missing index, duplicate and foreign file.
public struct ShardSet: Sendable {
    /// What the files are called in messages: "shard" or "part".
    public let noun: String
    public let count: Int
    /// File number (in the order offered) of each accepted index.
    public private(set) var byIndex: [Int: Int] = [:]
    private var paths: [Int: String] = [:]
    private var duplicates: [String] = []
    private var foreign: [String] = []

    public init(noun: String, count: Int) { self.noun = noun; self.count = count }

    /// Accepts file `file` (at `path`) as index `index`, or records it as a duplicate.
    public mutating func offer(_ file: Int, path: String, index: Int) {
        if let other = byIndex[index] {
            duplicates.append("\(noun) \(index) twice (\(paths[other]!), \(path))")
        } else {
            byIndex[index] = file
            paths[file] = path
        }
    }

    /// Records a file that does not belong to the set, with why.
    public mutating func reject(_ path: String, because reason: String) { foreign.append("\(path) (\(reason))") }

    /// Nil when every index 0..<count came exactly once and nothing was foreign; otherwise the
    /// one-line reason ("missing shard 1 of 3; shard 0 twice (a, b); foreign: c (...)").
    public var problems: String? {
        let missing = (0..<count).filter { byIndex[$0] == nil }
        var out: [String] = []
        if !missing.isEmpty { out.append("missing \(noun)\(missing.count > 1 ? "s" : "") \(missing.map(String.init).joined(separator: ", ")) of \(count)") }
        out += duplicates
        if !foreign.isEmpty { out.append("foreign: " + foreign.joined(separator: "; ")) }
        return out.isEmpty ? nil : out.joined(separator: "; ")
    }
}
