// GHRP's published dataset.pt format, against files written by the official code's own classes
// (fixtures/ghrp/datasets, made by tools/fixtures/make_ghrp_dataset_fixtures.py with GHRP_SRC and torch):
// every sample's weights, model, epoch, split and properties reach the zoo; other classes and
// inconsistent objects are refused with one line naming the file.
import Foundation
import Testing
import TestSupport
import ZooStore
@testable import Formats

@Suite struct GHRPDatasetTests {
    static let folder = Fixtures.project.appendingPathComponent("ghrp/datasets")
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    struct Expected: Decodable {
        struct Sample: Decodable {
            var model: String
            var epoch: Int
            var weights: [Double]
            var properties: [String: Double]
        }
        var use_bias: Bool
        var splits: [String: [Sample]]
    }

    static func expected(_ file: String) throws -> Expected {
        let all = try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        return try #require(all[file])
    }

    @Test(arguments: ["vector.pt", "checkpoint.pt"])
    func everySampleReachesTheZooAsTheOfficialCodeVectorisesIt(_ file: String) throws {
        let expected = try Self.expected(file)
        #expect(GHRPDataset.looksLikeOne(path: Self.path(file)))
        let dir = TemporaryDirectory()
        let output = dir.path("zoo.h5")
        let summary = try GHRPDatasetImporter.run(source: Self.path(file), output: output)
        let total = expected.splits.values.reduce(0) { $0 + $1.count }
        #expect(summary.checkpointsWritten == total)
        let zoo = try ZooReader(path: output)
        let names = zoo.table.entries.map(\.name)
        #expect(names == (expected.use_bias
            ? ["module_list.0.weight", "module_list.0.bias", "module_list.3.weight", "module_list.3.bias"]
            : ["module_list.0.weight", "module_list.3.weight"]))
        #expect(zoo.checkpointCount == total)
        let splitOf = ["trainset": Split.train, "valset": .val, "testset": .test]
        for (set, samples) in expected.splits {
            for sample in samples {
                let row = try #require((0..<zoo.checkpointCount).first { zoo.model(row: $0).id == sample.model && zoo.epoch[$0] == sample.epoch },
                                       "\(file) \(set): \(sample.model) epoch \(sample.epoch) missing")
                #expect(zoo.model(row: row).split == splitOf[set])
                #expect(try zoo.readRow(row) == sample.weights.map { Float($0) }, "\(sample.model)@\(sample.epoch)")
                let metrics = zoo.metrics(row: row)
                if let acc = sample.properties["test_acc"] {
                    #expect(metrics.testAccuracy == Float(acc))
                    #expect(abs(metrics.trainAccuracy - Float(acc + sample.properties["ggap"]!)) < 1e-6)
                    #expect(zoo.model(row: row).hyperparameters == ["lr": .number(sample.properties["lr"]!)])
                } else {
                    #expect(metrics.testAccuracy.isNaN)
                }
            }
        }
    }

    @Test func otherClassesAreRefusedByName() throws {
        let dir = TemporaryDirectory()
        do {
            _ = try GHRPDatasetImporter.run(source: Self.path("refused-erase-augment.pt"), output: dir.path("zoo.h5"))
            Issue.record("a RandomErasingVector object was accepted")
        } catch let error as FormatError {
            let line = "\(error)"
            #expect(line.contains("refused-erase-augment.pt"))
            #expect(line.contains("RandomErasingVector is not allowed"), "\(line)")
            #expect(!line.contains("\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("zoo.h5")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("zoo.h5.partial")))
    }

    @Test func inconsistentAttributesAreRefusedNamingTheAttribute() throws {
        let dir = TemporaryDirectory()
        do {
            _ = try GHRPDatasetImporter.run(source: Self.path("refused-short-epochs.pt"), output: dir.path("zoo.h5"))
            Issue.record("a set with fewer epochs than samples was accepted")
        } catch let error as FormatError {
            #expect("\(error)".contains("testset.epochs"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("zoo.h5")))
    }

    @Test func aSecondStateOrAStateThatIsNoDictIsRefused() throws {
        // PROTO 2, GLOBAL SimCLRDataset, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, BUILD, EMPTY_DICT, BUILD, STOP
        let global = Array("cghrp.checkpoints_to_datasets.dataset_simclr\nSimCLRDataset\n".utf8)
        let twice: [UInt8] = [0x80, 2] + global + [0x29, 0x81, 0x7D, 0x62, 0x7D, 0x62, 0x2E]
        var machine = PickleMachine(bytes: twice, file: "t.pkl", object: "data.pkl")
        #expect(throws: FormatError.self) { _ = try machine.run(hooks: GHRPPickleHooks()) }
        let notDict: [UInt8] = [0x80, 2] + global + [0x29, 0x81, 0x4E, 0x62, 0x2E]
        var other = PickleMachine(bytes: notDict, file: "t.pkl", object: "data.pkl")
        #expect(throws: FormatError.self) { _ = try other.run(hooks: GHRPPickleHooks()) }
        let once: [UInt8] = [0x80, 2] + global + [0x29, 0x81, 0x7D, 0x62, 0x2E]
        var ok = PickleMachine(bytes: once, file: "t.pkl", object: "data.pkl")
        let root = try ok.run(hooks: GHRPPickleHooks())
        guard case .instance(_, "SimCLRDataset", let state?) = ok.arena[root], case .dict = ok.arena[state] else {
            Issue.record("expected a SimCLRDataset object with its state, got \(ok.arena[root].kind)")
            return
        }
    }
}
