// The papers' dataset readers on fixtures/datasets (tiny files in each release format, written by
// tools/fixtures/make_dataset_fixtures.py with numpy, scipy.io and Pillow): pixels and labels exact, the
// Model Zoos preprocessing equal to Pillow's on known images, torch's seeded split reproduced,
// hostile files refused with one line naming the file.
import Foundation
import Testing
import TestSupport
import ZooStore
@testable import Nets

@Suite struct PaperDatasetTests {
    static let root = Fixtures.project.appendingPathComponent("datasets").path
    nonisolated(unsafe) static let expected: [String: [String: Any]] = {
        let data = FileManager.default.contents(atPath: root + "/expected.json")!
        return try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
    }()
    static func ints(_ group: String, _ key: String) -> [Int] { expected[group]![key] as! [Int] }
    static func bytes(_ group: String, _ key: String) -> [UInt8] { ints(group, key).map { UInt8($0) } }
    /// ToTensor + Normalize as torch computes them in float32.
    static func normalised(_ b: [UInt8], _ n: Normalization) -> [Float] { b.map { (Float($0) / 255 - n.mean) / n.std } }
    static func image(_ d: ImageDataset, _ i: Int) -> [Float] { Array(d.images[(i * d.sampleSize)..<((i + 1) * d.sampleSize)]) }

    @Test func torchRandomSplitMatchesTorch() {
        // Values printed by torch 2.15: torch.randperm(n, generator=torch.Generator().manual_seed(42)).
        #expect(TorchRandomSplit.permutation(10, seed: 42) == [2, 6, 1, 8, 4, 5, 0, 9, 3, 7])
        let svhn = TorchRandomSplit.permutation(73_257, seed: 42)
        #expect(Array(svhn.prefix(5)) == [60336, 70868, 53178, 72901, 17776])
        #expect(Array(svhn.suffix(3)) == [67241, 13204, 14604])
        // random_split(range(50000), [42000, 8000], generator=manual_seed(42)).
        let cifar = TorchRandomSplit.split(lengths: [42_000, 8_000], seed: 42)
        #expect(Array(cifar[0].prefix(5)) == [37542, 44491, 216, 43688, 41558])
        #expect(Array(cifar[1].prefix(3)) == [690, 4105, 26195])
        #expect(cifar[0].count == 42_000 && Set(cifar[0] + cifar[1]).count == 50_000)
    }

    @Test func mnistReadsIDXGzipAndPlainWithItsNormalisationAndSplit() throws {
        let d = try PaperDataset.mnist.load(directory: Self.root + "/mnist")
        #expect(d.test.count == 16 && d.test.labels == Self.ints("mnist_t10k", "labels").map(Int32.init))
        #expect(Self.image(d.test, 3) == Self.normalised(Self.bytes("mnist_t10k", "image_3"), .mnist))
        // 80 training images: not the release's 60000, so the published 50000:10000 ratio, rounded (67/13),
        // cut from torch's permutation in its order.
        let parts = TorchRandomSplit.split(lengths: [67, 13], seed: 42)
        let labels = Self.ints("mnist_train", "labels").map(Int32.init)
        #expect(d.train.labels == parts[0].map { labels[$0] })
        #expect(d.validation?.labels == parts[1].map { labels[$0] })
        let k = try #require(parts[0].firstIndex(of: 3))
        #expect(Self.image(d.train, k) == Self.normalised(Self.bytes("mnist_train", "image_3"), .mnist))
    }

    @Test func svhnReadsCompressedAndPlainMATFilesAndPreparesLikeTheGenerator() throws {
        for (file, group) in [("train_32x32.mat", "svhn_train"), ("test_32x32.mat", "svhn_test")] {
            let (raw, labels) = try SVHN.readFile(Self.root + "/svhn/" + file)
            #expect(raw.count == Self.expected[group]!["count"] as! Int)
            // Label 10 (digit 0) becomes 0.
            #expect(labels == Self.ints(group, "labels").map(Int32.init))
            #expect(Array(raw.pixels[3072..<6144]) == Self.bytes(group, "image_1"))
        }
        let gray = try PaperDataset.svhn.load(directory: Self.root + "/svhn")
        #expect(gray.test.channels == 1 && gray.test.height == 28)
        #expect(Self.image(gray.test, 1) == Self.normalised(Self.bytes("svhn_test", "gray_crop28_image_1"), .zoo))
        let rgb = try PaperDataset.svhn.load(directory: Self.root + "/svhn", input: (3, 28, 28))
        #expect(Self.image(rgb.test, 1) == Self.normalised(Self.bytes("svhn_test", "rgb_crop28_image_1"), .zoo))
        #expect(gray.train.count + (gray.validation?.count ?? 0) == 80)
    }

    @Test func cifar10BinaryBatchesResizeWithPillowsBilinear() throws {
        let batch = try CIFAR10.readBinaryBatch(Self.root + "/cifar10-binary/cifar-10-batches-bin/data_batch_3.bin")
        #expect(batch.labels == Self.ints("cifar10_data_batch_3", "labels").map(Int32.init))
        #expect(Array(batch.pixels[(2 * 3072)..<(3 * 3072)]) == Self.bytes("cifar10_data_batch_3", "image_2"))
        let folder = Self.root + "/cifar10-binary"
        let small = try PaperDataset.cifar10.load(directory: folder)
        #expect(small.test.channels == 3 && small.test.height == 28)
        #expect(Self.image(small.test, 2) == Self.normalised(Self.bytes("cifar10_test_batch", "resize28_image_2"), .zoo))
        let large = try PaperDataset.cifar10.load(directory: folder, input: (3, 32, 32))
        #expect(Self.image(large.test, 2) == Self.normalised(Self.bytes("cifar10_test_batch", "image_2"), .zoo))
        let grey = try PaperDataset.cifar10.load(directory: folder, input: (1, 28, 28))
        #expect(Self.image(grey.test, 2) == Self.normalised(Self.bytes("cifar10_test_batch", "gray_resize28_image_2"), .zoo))
        // The five batches in order, then torch's split (80 images → 67/13 at 42000:8000).
        let all = (1...5).flatMap { Self.ints("cifar10_data_batch_\($0)", "labels") }.map(Int32.init)
        #expect(small.train.labels == TorchRandomSplit.split(lengths: [67, 13], seed: 42)[0].map { all[$0] })
        // The python batches need the unpickler, which lives in Formats: without it, a clear refusal.
        #expect(throws: DatasetError.self) { try PaperDataset.cifar10.load(directory: Self.root + "/cifar10-python") }
        do { _ = try PaperDataset.cifar10.load(directory: Self.root + "/cifar10-python") } catch {
            #expect("\(error)".contains("data_batch_*.bin"))
        }
    }

    @Test func stl10ReadsColumnMajorBinariesAndResizes() throws {
        let (raw, labels) = try STL10.readPair(images: Self.root + "/stl10/stl10_binary/train_X.bin", labels: Self.root + "/stl10/stl10_binary/train_y.bin")
        #expect(labels == Self.ints("stl10_train", "labels").map(Int32.init))
        #expect(Array(raw.pixels[27648..<(2 * 27648)]) == Self.bytes("stl10_train", "image_1"))
        let small = try PaperDataset.stl10.load(directory: Self.root + "/stl10")
        #expect(Self.image(small.test, 1) == Self.normalised(Self.bytes("stl10_test", "resize28_image_1"), .zoo))
        let large = try PaperDataset.stl10.load(directory: Self.root + "/stl10", input: (3, 32, 32))
        #expect(Self.image(large.test, 1) == Self.normalised(Self.bytes("stl10_test", "resize32_image_1"), .zoo))
    }

    @Test func folderComesFromTheOptionOrHYPERZOO_DATA() throws {
        #expect(try PaperDataset.svhn.folder(directory: nil, environment: ["HYPERZOO_DATA": Self.root]) == Self.root + "/svhn")
        #expect(try PaperDataset.svhn.folder(directory: "/x", environment: ["HYPERZOO_DATA": Self.root]) == "/x")
        do { _ = try PaperDataset.stl10.folder(directory: nil, environment: [:]); Issue.record("expected an error") } catch {
            #expect("\(error)".contains("HYPERZOO_DATA") && "\(error)".contains("--dataset-path") && "\(error)".contains("never downloads"))
        }
        do { _ = try PaperDataset.cifar10.folder(directory: nil, environment: ["HYPERZOO_DATA": Self.root]); Issue.record("expected an error") } catch {
            #expect("\(error)".contains(Self.root + "/cifar10: no such folder"))
        }
    }

    @Test func hostileFilesAreRefusedWithOneLineNamingTheFile() throws {
        let dir = TemporaryDirectory()
        func write(_ name: String, _ bytes: [UInt8]) -> String {
            let p = dir.path(name); _ = FileManager.default.createFile(atPath: p, contents: Data(bytes)); return p
        }
        func refusal(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        let mat = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.root + "/svhn/test_32x32.mat")))
        // Truncated: the X element declares more bytes than remain.
        let cut = write("cut.mat", Array(mat.prefix(5000)))
        #expect(refusal { _ = try SVHN.readFile(cut) }.contains("cut.mat: data element at byte 128 declares"))
        // Dimensions that overflow: patch X's first dimension (after the 128-byte header, the
        // miMATRIX tag, the 16-byte flags element and the dimensions tag) to 2^31 − 1.
        var huge = mat
        for (k, b) in [UInt8]([0xFF, 0xFF, 0xFF, 0x7F]).enumerated() { huge[128 + 8 + 16 + 8 + k] = b }
        let hugePath = write("huge.mat", huge)
        #expect(refusal { _ = try SVHN.readFile(hugePath) }.contains("huge.mat"))
        #expect(refusal { _ = try SVHN.readFile(write("v73.mat", [UInt8](repeating: 0, count: 200))) }.contains("not a MATLAB 5 MAT-file"))
        let bin = write("b.bin", [UInt8](repeating: 3, count: 3073 * 2 - 1))
        #expect(refusal { _ = try CIFAR10.readBinaryBatch(bin) }.contains("b.bin: 6145 bytes, expected a multiple of 3073"))
        let badLabel = write("l.bin", [10] + [UInt8](repeating: 0, count: 3072))
        #expect(refusal { _ = try CIFAR10.readBinaryBatch(badLabel) }.contains("label 10 of record 0"))
        let x = write("x.bin", [UInt8](repeating: 0, count: 27648 * 2)), y = write("y.bin", [1])
        #expect(refusal { _ = try STL10.readPair(images: x, labels: y) }.contains("y.bin: 1 labels for the 2 images"))
        let y0 = write("y0.bin", [0, 11])
        #expect(refusal { _ = try STL10.readPair(images: x, labels: y0) }.contains("label 0 of image 0, expected 1...10"))
        #expect(refusal { _ = try SVHN.readFile(dir.url.path) }.contains("not a regular file"))
    }

    @Test func modelZoosConfigsRunOnTheDatasetTheirDumpNames() throws {
        func config(_ dump: String?, channels: Int = 3) -> Data {
            var j = "{\"model::type\": \"CNN\", \"model::channels_in\": \(channels), \"model::nlin\": \"gelu\", \"model::init_type\": \"kaiming_uniform\", \"optim::lr\": 0.0001, \"optim::wd\": 0.01, \"seed\": {\"grid_search\": [1, 2]}"
            if let dump { j += ", \"dataset::dump\": \"\(dump)\"" }
            return Data((j + "}").utf8)
        }
        let cases = [("/z/zoos/CIFAR10/small/tune_zoo_cifar10_uniform_small/dataset.pt", "cifar10"),
                     ("zoos/SVHN/tune_zoo_svhn_uniform/dataset.pt", "svhn"),
                     ("zoos/STL-10/small/tune_zoo_stl_small_uniform/dataset.pt", "stl10"),
                     ("zoos/MNIST/tune_zoo_mnist_uniform/dataset.pt", "mnist"),
                     ("/data/zoos/F_MNIST/tune_zoo_f_mnist_uniform/dataset.pt", "fashion-mnist")]
        for (dump, name) in cases {
            let spec = try ZooSpec.parse(config(dump), label: "c.json")
            #expect(spec.dataset.name == name, "\(dump)")
        }
        #expect(try ZooSpec.parse(config(cases[3].0, channels: 1)).dataset.normalization == .mnist)
        for (dump, words) in [("zoos/CIFAR100/x/dataset.pt", "CIFAR-100, which hyperzoo has no reader for"),
                              ("zoos/USPS/x/dataset.pt", "USPS"), ("zoos/other/x/dataset.pt", "does not name a dataset"),
                              ("zoos/SVHN/mnist_run/dataset.pt", "names several datasets")] {
            do { _ = try ZooSpec.parse(config(dump), label: "c.json"); Issue.record("\(dump) accepted") } catch {
                #expect("\(error)".hasPrefix("c.json: dataset::dump") && "\(error)".contains(words), "\(error)")
            }
        }
        do { _ = try ZooSpec.parse(config(nil), label: "c.json"); Issue.record("no dump accepted") } catch {
            #expect("\(error)".contains("c.json: the Model Zoos config has no dataset::dump"))
        }
    }

    @Test func recipeSpecsInFixturesParseWithTheModelZoosHyperparameters() throws {
        let dir = Fixtures.project.appendingPathComponent("zoo").path
        func spec(_ name: String) throws -> ZooSpec { try ZooSpec.load(path: "\(dir)/\(name).json") }
        let svhn = try spec("svhn-cnn-s")
        #expect(svhn.dataset.name == "svhn" && svhn.optimizer.learningRate == 3e-3 && svhn.architecture.channels == 1 && svhn.initializer == .uniform)
        let cifar = try spec("cifar10-cnn-s")
        #expect(cifar.dataset.name == "cifar10" && cifar.architecture.channels == 3 && cifar.architecture.activation == .gelu)
        #expect(cifar.initializer == .kaimingUniform && cifar.optimizer.weightDecay == 1e-2 && cifar.optimizer.learningRate == 1e-4)
        #expect(cifar.layouts[0].table.parameterCount == 2864)
        let stl = try spec("stl10-cnn-s")
        #expect(stl.dataset.name == "stl10" && stl.architecture.activation == .tanh && stl.optimizer.weightDecay == 1e-3)
        let mnist = try spec("mnist-cnn-s")
        #expect(mnist.dataset.normalization == .mnist && mnist.optimizer.learningRate == 3e-4)
        for name in ["cifar10-cnn-m", "stl10-cnn-m"] {
            let m = try spec(name)
            #expect(m.architecture.family == .cnnM && m.architecture.channels == 3 && m.layouts[0].table.parameterCount == 10_853)
        }
        for s in [svhn, cifar, stl, mnist] { #expect(s.seeds == Array(1...1000) && s.epochs == 50 && s.batchSize == 10) }
    }
}
