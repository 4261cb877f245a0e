import Foundation
import Testing
import TestSupport
import Compression
@testable import Nets

@Suite struct DatasetTests {
    static let fmnist = FashionMNIST.defaultDirectory

    @Test(.enabled(if: FileManager.default.fileExists(atPath: fmnist + "/t10k-labels-idx1-ubyte.gz")))
    func readsDebianFashionMNISTLabels() throws {
        let (shape, bytes) = try IDX.read(path: Self.fmnist + "/t10k-labels-idx1-ubyte.gz")
        #expect(shape == [10_000])
        #expect(Set(bytes) == Set(0..<10))
        // Fashion-MNIST's test set is balanced: 1000 per class.
        #expect(bytes.filter { $0 == 3 }.count == 1000)
    }

    @Test func missingDataNamesTheDebianPackage() {
        do {
            _ = try FashionMNIST.load(directory: "/nonexistent/fmnist")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("/nonexistent/fmnist/train-images-idx3-ubyte"))
        }
        #expect(FashionMNIST.debianPackage == "dataset-fashion-mnist")
    }

    @Test func readsPlainAndGzipIDXAndRejectsCorruptFiles() throws {
        let dir = TemporaryDirectory()
        // A 2-image 2×3 IDX file written by hand, then gzipped by the system gzip.
        let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]
        let pixels: [UInt8] = [0, 255, 51, 102, 153, 204, 1, 2, 3, 4, 5, 6]
        let plain = dir.path("img-idx3-ubyte")
        _ = FileManager.default.createFile(atPath: plain, contents: Data(header + pixels))
        let labels = dir.path("lbl-idx1-ubyte")
        _ = FileManager.default.createFile(atPath: labels, contents: Data([0, 0, 8, 1, 0, 0, 0, 2, 7, 1]))
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gz.arguments = ["-k", plain]
        try gz.run(); gz.waitUntilExit()
        let a = try IDX.read(path: plain), b = try IDX.read(path: plain + ".gz")
        #expect(a.shape == [2, 2, 3] && a.bytes == pixels)
        #expect(b.shape == a.shape && b.bytes == a.bytes)
        let d = try IDX.loadImages(images: plain + ".gz", labels: labels, name: "t", mean: 0.5, std: 0.5)
        #expect(d.labels == [7, 1] && d.height == 2 && d.width == 3)
        #expect(d.images[0] == -1 && d.images[1] == 1)

        // Truncated gzip and wrong sizes give one line naming the file.
        let bytes = try readFileBytes(atPath: plain + ".gz")
        let cut = dir.path("cut.gz")
        _ = FileManager.default.createFile(atPath: cut, contents: Data(bytes.prefix(bytes.count - 12)))
        #expect(throws: DatasetError.self) { try IDX.read(path: cut) }
        let short = dir.path("short-idx3-ubyte")
        _ = FileManager.default.createFile(atPath: short, contents: Data(header + pixels.prefix(5)))
        do { _ = try IDX.read(path: short); Issue.record("expected an error") } catch {
            #expect("\(error)".contains(short) && "\(error)".contains("[2, 2, 3]"))
        }
    }

    @Test func bilinearResizeMatchesTorchvision() {
        // torch.nn.functional.interpolate([[0,1],[2,3]], size=4, mode='bilinear', align_corners=False)
        let d = ImageDataset(name: "t", images: [0, 1, 2, 3], labels: [0], channels: 1, height: 2, width: 2)
        let r = d.resized(height: 4, width: 4)
        let expected: [Float] = [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]
        #expect(r.images == expected)
        let adapted = DatasetSplits(train: d, validation: nil, test: d).adapted(to: .cnnM(channels: 3))
        #expect(adapted.train.channels == 3 && adapted.train.height == 32 && adapted.test.width == 32)
    }

    @Test func splitIsDeterministicAndDisjoint() {
        let full = ImageDataset(name: "f", images: (0..<20).map(Float.init), labels: (0..<20).map { Int32($0 % 10) },
                                channels: 1, height: 1, width: 1)
        let a = FashionMNIST.split(full, trainCount: 15, seed: 42, test: full)
        let b = FashionMNIST.split(full, trainCount: 15, seed: 42, test: full)
        #expect(a.train.images == b.train.images)
        #expect(a.train.count == 15 && a.validation?.count == 5)
        #expect(Set(a.train.images + a.validation!.images).count == 20)
        #expect(FashionMNIST.split(full, trainCount: 15, seed: 43, test: full).train.images != a.train.images)
    }

    @Test func inflateHandlesRawAndZlibStreamsAndBoundsOutput() throws {
        // zlib stream of "hello hello hello" made by Python's zlib.compress.
        let z: [UInt8] = [120, 156, 203, 72, 205, 201, 201, 87, 200, 64, 144, 0, 58, 46, 6, 125]
        let text = try inflate(z, wrapping: .zlib)
        #expect(String(decoding: text, as: UTF8.self) == "hello hello hello")
        #expect(try inflate(Array(z[2..<(z.count - 4)]), wrapping: .raw) == text)
        #expect(throws: InflateError.self) { try inflate(z, wrapping: .zlib, maxOutput: 5) }
        #expect(try inflate(z, wrapping: .zlib, maxOutput: 17) == text)  // the limit is inclusive
        let raw = Array(z[2..<(z.count - 4)])
        // The exact-size form of zip/npz entries: the declared size, not one byte more or less.
        #expect(try inflate(raw, wrapping: .raw, expectedSize: 17) == text)
        let short = #expect(throws: InflateError.self) { try inflate(raw, wrapping: .raw, expectedSize: 16) }
        #expect(short?.reason == "deflated data is larger than the declared 16 bytes")
        let long = #expect(throws: InflateError.self) { try inflate(raw, wrapping: .raw, expectedSize: 18, label: "a.npz") }
        #expect(long?.description == "a.npz: deflated data gives 17 bytes, expected 18")
        let cut = #expect(throws: InflateError.self) { try inflate(Array(raw.prefix(6)), wrapping: .raw, expectedSize: 17) }
        #expect(cut?.reason == "compressed data is truncated")
        #expect(crc32(text) == 0xE5F9_8880)  // Python: zlib.crc32(b"hello hello hello")
    }
}
