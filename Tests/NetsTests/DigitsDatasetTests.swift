import Testing
import Foundation
@testable import Nets
import TestSupport

@Suite struct DigitsDatasetTests {
    @Test func loadsTheDebianFileResizesAndSplitsDeterministically() throws {
        guard FileManager.default.isReadableFile(atPath: DigitsDataset.defaultPath) else {
            Issue.record("\(DigitsDataset.defaultPath) missing: install python3-sklearn (tools/setup does)")
            return
        }
        let splits = try DigitsDataset.load()
        let total = splits.train.count + (splits.validation?.count ?? 0) + splits.test.count
        #expect(total == 1797)
        #expect(splits.test.count == 359 && splits.validation?.count == 180 && splits.train.count == 1258)
        #expect(splits.train.height == 28 && splits.train.width == 28 && splits.train.channels == 1)
        // Normalised (x − 0.5)/0.5: values in [−1, 1], background exactly −1.
        #expect(splits.train.images.min()! == -1 && splits.train.images.max()! <= 1)
        // Every class present in every split.
        for s in [splits.train, splits.test] { #expect(Set(s.labels) == Set((0..<10).map(Int32.init))) }
        // The split is a pure function of the seed.
        let a = DigitsDataset.split(splits.train, validationFraction: 0.1, testFraction: 0.2, seed: 42)
        let b = DigitsDataset.split(splits.train, validationFraction: 0.1, testFraction: 0.2, seed: 42)
        let c = DigitsDataset.split(splits.train, validationFraction: 0.1, testFraction: 0.2, seed: 7)
        #expect(a.test.labels == b.test.labels && a.train.images == b.train.images)
        #expect(a.test.labels != c.test.labels)
    }

    @Test func parserMatchesTheFileLayoutAndRejectsMalformedLines() throws {
        let line = (0..<64).map { String($0 % 17) }.joined(separator: ",") + ",7\n"
        let (pixels, labels) = try DigitsDataset.parse(Array((line + line).utf8), label: "x.csv")
        #expect(labels == [7, 7] && pixels.count == 128)
        #expect(pixels[16] == 1 && pixels[1] == 1 / 16)
        #expect(throws: DatasetError.self) { try DigitsDataset.parse(Array("1,2,3\n".utf8), label: "x.csv") }
        let badPixel = (0..<64).map { _ in "17" }.joined(separator: ",") + ",1\n"
        do {
            _ = try DigitsDataset.parse(Array(badPixel.utf8), label: "x.csv")
            Issue.record("expected an error")
        } catch let e as DatasetError {
            #expect(e.description == "x.csv:1: pixel value 17, expected 0...16")
        }
        #expect(throws: DatasetError.self) { try DigitsDataset.parse(Array("1,a\n".utf8), label: "x.csv") }
        #expect(throws: DatasetError.self) { try DigitsDataset.load(path: "/nonexistent/digits.csv.gz") }
    }

    @Test func aZooSpecCanNameTheDigitsAsItsDataset() throws {
        guard FileManager.default.isReadableFile(atPath: DigitsDataset.defaultPath) else {
            Issue.record("\(DigitsDataset.defaultPath) missing: install python3-sklearn (tools/setup does)")
            return
        }
        let spec = try ZooSpec.parse(Data("""
            {"architecture": {"family": "cnn_s"}, "dataset": {"name": "digits", "limit_train": 100},
             "optimizer": {"kind": "adam", "learning_rate": 0.001}, "epochs": 1, "seeds": [1]}
            """.utf8), label: "digits.json")
        let splits = try spec.dataset.load()
        #expect(splits.train.count == 100 && splits.test.count == 359 && splits.validation?.count == 180)
        #expect(splits.train.name == "digits-train" && splits.train.height == 28)
        #expect(splits.test.labels == (try DigitsDataset.load()).test.labels)
        #expect(throws: DatasetError.self) {
            try ZooSpec.parse(Data(#"{"architecture": {"family": "cnn_s"}, "dataset": {"name": "cifar100"}, "optimizer": {"kind": "adam", "learning_rate": 0.001}, "epochs": 1, "seeds": [1]}"#.utf8))
        }
    }

    @Test func bilinearUpsamplingKeepsAConstantImageConstant() {
        let flat = ImageDataset(name: "c", images: [Float](repeating: 0.25, count: 64), labels: [0], channels: 1, height: 8, width: 8)
        #expect(flat.resized(height: 28, width: 28).images.allSatisfy { abs($0 - 0.25) < 1e-6 })
    }
}
