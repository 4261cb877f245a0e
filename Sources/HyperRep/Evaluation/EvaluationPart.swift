// The part file of a sharded evaluation (`hz-eval --shard I/N`): the shard's record (its
// members' accuracies and losses per population, epoch and transfer, with the run's context) and
// what identifies the run: a digest of the inputs and options, the shard index and count, and the
// members of the whole population. The assignment is the zoo's (ZooShard): member m belongs to
// shard m mod N. A part read from disk is checked before use: exact integers within limits,
// arrays of the sizes the header says, accuracies in [0, 1].
import Foundation
import ZooStore

/// One shard's measurements and what identifies the run they belong to.
public struct EvaluationPart: Codable, Sendable {
    /// The `format` field of every part file.
    public static let formatName = "hyperzoo-eval-part"
    /// Part files larger than this are refused before they are read.
    public static let maximumFileBytes = 1 << 30
    /// Bootstrap resamples a part may ask the merge for (each interval allocates this many).
    public static let maximumResamples = 10_000_000

    public var format = EvaluationPart.formatName
    public var formatVersion = 1
    /// ``digest(of:zoo:)`` of the run: the parts of one run agree on it.
    public var digest: String
    public var index: Int
    public var count: Int
    /// Members of each population in the whole run (--models).
    public var totalMembers: Int
    /// The member indices this part measured: index, index + count, ...
    public var members: [Int]
    public var record: EvaluationRecord

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", digest, index, count, totalMembers = "total_members", members, record
    }

    public init(digest: String, index: Int, count: Int, totalMembers: Int, members: [Int], record: EvaluationRecord) {
        self.digest = digest; self.index = index; self.count = count; self.totalMembers = totalMembers
        self.members = members; self.record = record
    }

    /// FNV-1a (ZooShardRecord.digest) of the inputs (zoo and population files: paths, sizes,
    /// the zoo's config) and of every option that changes a number; not the shard, threads or
    /// output, which do not.
    public static func digest(of o: EvaluationOptions, zoo: ZooReader) throws -> String {
        func text(_ v: Any?) -> JSONValue { .string(v.map { "\($0)" } ?? "-") }
        var populations: [JSONValue] = []
        for path in o.populations {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]).flatMap { $0 as? Int } ?? -1
            populations.append(.array([.string(path), .number(Double(size))]))
        }
        let r = o.recipe
        let inputs: JSONValue = .object([
            "zoo": .string(o.zoo), "zoo_config": zoo.config, "zoo_checkpoints": .number(Double(zoo.checkpointCount)),
            "populations": .array(populations),
            "options": .array([
                text(o.epochs), text(o.models), text(o.baselines), text(o.scratch), text(o.bfEpoch), text(o.trainSubset),
                text(o.testSubset), text(o.transfer), text(o.transferPath), text(o.transferTrainSubset), text(o.transferTestSubset),
                text(o.ensembleSizes), text(o.ensembleTrials), text(o.novelty), text(o.seed), text(o.bootstrap), text(o.probe),
            ]),
            "recipe": .array([text(r.dataset), text(r.datasetPath), text(r.normalization), text(r.activation), text(r.dropout),
                              text(r.initializer), text(r.optimizer), text(r.learningRate), text(r.weightDecay), text(r.batchSize)]),
        ])
        return ZooShardRecord.digest(of: inputs)
    }

    /// Writes the part atomically (`<path>.partial`, fsync, rename).
    public func write(to path: String, overwrite: Bool) throws {
        let output = try AtomicOutput(path: path, overwrite: overwrite)
        do {
            try EvaluationReport.jsonEncoder().encode(self).write(to: URL(fileURLWithPath: output.partialPath))
            try output.commit()
        } catch {
            output.discard()
            throw EvaluationError("\(path): cannot write the part file (\(error))")
        }
    }

    /// The header, with every number as it is in the file (checked before any use).
    struct Header: Decodable {
        var format: String
        var format_version: Double
        var digest: String
        var index: Double
        var count: Double
        var total_members: Double
        var members: [Double]
    }

    /// Reads and checks the part at `path`.
    /// - Throws: ``EvaluationError`` naming the file and the field that is wrong.
    public static func read(_ path: String) throws -> EvaluationPart {
        func bad(_ what: String) -> EvaluationError {
            EvaluationError("\(path): \(what); pass the part files hz-eval --shard wrote")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]).flatMap { $0 as? Int }
        guard let size else { throw EvaluationError("\(path): cannot read the part file (no such file)") }
        guard size <= maximumFileBytes else { throw bad("\(size) bytes, more than a part file's limit of \(maximumFileBytes)") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw EvaluationError("\(path): cannot read the part file (\(error.localizedDescription))") }
        guard let header = try? NonFiniteJSON.decode(Header.self, from: data), header.format == formatName else {
            throw bad("not an hz-eval --shard part file (no \"format\": \"\(formatName)\" header with digest, index, count, total_members, members)")
        }
        func integer(_ v: Double, _ what: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let x = Int(exactly: v), range.contains(x) else { throw bad("\(what) \(v) is not an integer in \(range.lowerBound)...\(range.upperBound)") }
            return x
        }
        _ = try integer(header.format_version, "format_version", 1...1)
        let count = try integer(header.count, "count", 1...ZooShard.maxCount)
        let index = try integer(header.index, "index", 0...(count - 1))
        let total = try integer(header.total_members, "total_members", count...ZooShard.maxModels)
        guard header.members.count <= total else { throw bad("lists \(header.members.count) members of a \(total)-member run") }
        let members = try header.members.map { try integer($0, "member index", 0...(total - 1)) }
        guard members == (try ZooShard(index: index, count: count)).models(of: total) else {
            throw bad("its members are not shard \(index)/\(count)'s of \(total) (member m belongs to shard m mod \(count))")
        }
        let part: EvaluationPart
        do { part = try NonFiniteJSON.decode(EvaluationPart.self, from: data) } catch { throw bad("its record is not readable (\(error))") }
        try part.record.check(members: members, total: total, fail: bad)
        return part
    }
}

extension EvaluationRecord {
    /// Every population measures exactly `members` of `total`, at the same epochs, with accuracies
    /// in [0, 1]; the bootstrap size is within ``EvaluationPart/maximumResamples``.
    func check(members: [Int], total: Int, fail: (String) -> EvaluationError) throws {
        guard (1...EvaluationPart.maximumResamples).contains(resamples) else {
            throw fail("resamples \(resamples) is not in 1...\(EvaluationPart.maximumResamples)")
        }
        let all = populations.map { ("", $0) } + transfers.flatMap { t in t.populations.map { (" (transfer to \(t.target))", $0) } }
        let epochs = populations.first?.epochs.map(\.epoch) ?? []
        guard epochs.allSatisfy({ (0...1_000_000).contains($0) }) else { throw fail("reported epochs \(epochs) are not in 0...1000000") }
        for (place, p) in all {
            guard p.modelCount == total, p.members == members else {
                throw fail("population \(p.name)\(place) holds members \(p.members.prefix(8)) of \(p.modelCount), expected the part's \(members.count) of \(total)")
            }
            guard p.epochs.map(\.epoch) == epochs else { throw fail("population \(p.name)\(place) reports epochs \(p.epochs.map(\.epoch)), expected \(epochs)") }
            for e in p.epochs {
                guard e.accuracies.count == members.count, e.losses.count == members.count else {
                    throw fail("population \(p.name)\(place) epoch \(e.epoch): \(e.accuracies.count) accuracies and \(e.losses.count) losses for \(members.count) members")
                }
                if let a = e.accuracies.first(where: { !(0...1).contains($0) }) {
                    throw fail("population \(p.name)\(place) epoch \(e.epoch): accuracy \(a) is not in [0, 1]")
                }
            }
        }
    }
}
