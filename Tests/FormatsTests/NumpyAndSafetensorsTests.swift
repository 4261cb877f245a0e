// .npy/.npz and safetensors against files written by numpy and the safetensors library, plus
// round trips and the safetensors validation rules.
import Foundation
import Testing
import TestSupport
@testable import Formats

@Suite struct NumpyAndSafetensorsTests {
    func check(_ tensors: [(name: String, tensor: HostTensor)], against file: String) throws {
        let expected = try #require(try FixtureManifest.load().load[file])
        #expect(tensors.map(\.name) == expected.tensors.map(\.name))
        for (got, want) in zip(tensors, expected.tensors) {
            #expect(got.tensor.dtype.rawValue == dtypeName(want.dtype), "\(file):\(want.name)")
            #expect(got.tensor.shape == want.shape)
            #expect(got.tensor.doubles() == want.values, "\(file):\(want.name)")
        }
    }

    @Test(arguments: ["f32.npy", "f64_fortran.npy", "i16_big_endian.npy"])
    func readsNpy(_ file: String) throws {
        let tensor = try NumpyArray.read(path: FixtureManifest.path(file))
        try check([("array", tensor)], against: file)
    }

    @Test(arguments: ["stored.npz", "deflated.npz"])
    func readsNpz(_ file: String) throws {
        try check(try NumpyArchive.read(path: FixtureManifest.path(file)), against: file)
    }

    @Test func readsSafetensorsWrittenByTheLibrary() throws {
        let contents = try Safetensors.readContents(path: FixtureManifest.path("sample.safetensors"))
        try check(contents.tensors, against: "sample.safetensors")
        #expect(contents.metadata == ["format": "pt"])
    }

    @Test func npyFloat32RoundTripIsBitExact() throws {
        let dir = TemporaryDirectory()
        var stream = (0..<2464 * 3).map { Float(bitPattern: UInt32(truncatingIfNeeded: $0 &* 2_654_435_761)) }
        stream[5] = .nan
        try NumpyArray.writeFloat32(stream, shape: [3, 2464], to: dir.path("a.npy"))
        let back = try NumpyArray.read(path: dir.path("a.npy"))
        #expect(back.shape == [3, 2464])
        #expect(back.floats().map(\.bitPattern) == stream.map(\.bitPattern))
        // numpy pads the header so data starts on a 64-byte boundary.
        let size = try FileManager.default.attributesOfItem(atPath: dir.path("a.npy"))[.size] as! Int
        #expect((size - 3 * 2464 * 4) % 64 == 0)
    }

    @Test func safetensorsRoundTripKeepsNamesOrderAndBits() throws {
        let dir = TemporaryDirectory()
        let tensors: [(name: String, shape: [Int], values: [Float])] = [
            ("module_list.0.weight", [2, 1, 2, 2], (0..<8).map { Float($0) * 0.1 }),
            ("module_list.0.bias", [2], [-.infinity, 3.5]),
            ("scalar", [], [7]),
            ("empty", [0, 4], []),
        ]
        try Safetensors.write(tensors, metadata: ["epoch": "3", "quote\"d": "a\\b"], to: dir.path("m.safetensors"))
        let back = try Safetensors.readContents(path: dir.path("m.safetensors"))
        #expect(back.tensors.map(\.name) == tensors.map(\.name))
        for t in tensors {
            let got = try #require(back.tensors.first { $0.name == t.name }?.tensor)
            #expect(got.shape == t.shape)
            #expect(got.floats().map(\.bitPattern) == t.values.map(\.bitPattern))
        }
        #expect(back.metadata == ["epoch": "3", "quote\"d": "a\\b"])
        let header = try Data(contentsOf: URL(fileURLWithPath: dir.path("m.safetensors")))
        #expect(Int(header[0]) % 8 == 0)
    }

    /// Builds a safetensors file by hand from a header string and a buffer.
    func handMade(_ header: String, buffer: Int, in dir: TemporaryDirectory) throws -> String {
        var bytes = [UInt8](repeating: 0, count: 8)
        let h = Array(header.utf8)
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { for i in 0..<8 { bytes[i] = $0[i] } }
        bytes += h + [UInt8](repeating: 0, count: buffer)
        let path = dir.path("bad-\(UUID().uuidString).safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, 12, "do not continue"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 4, "beyond"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 16, "cover 8 bytes"),
        (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8, "needs 12"),
        (#"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, 8, "unknown dtype"),
        (#"{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, 2, "not supported"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, 12, "do not continue"),
        (#"{"a":[1,2]"#, 0, "not a JSON object"),
    ])
    func safetensorsRulesAreEnforced(_ header: String, _ buffer: Int, _ word: String) throws {
        let dir = TemporaryDirectory()
        let path = try handMade(header, buffer: buffer, in: dir)
        #expect {
            _ = try Safetensors.read(path: path)
        } throws: { error in
            (error as? FormatError)?.description.contains(word) == true
        }
    }

    @Test func oversizedSafetensorsHeaderIsRefusedBeforeReading() throws {
        let dir = TemporaryDirectory()
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[6] = 1 // header length 2^48
        try Data(bytes).write(to: URL(fileURLWithPath: dir.path("huge.safetensors")))
        #expect(throws: FormatError.self) { try Safetensors.read(path: dir.path("huge.safetensors")) }
    }
}
