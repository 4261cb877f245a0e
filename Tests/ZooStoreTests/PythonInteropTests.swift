// h5py interop: a zoo written here is read by tools/zoo_to_numpy.py (h5py + numpy only), which
// rebuilds every checkpoint's state_dict by name. Runs the real script in a subprocess.
import Foundation
import Testing
import ZooStore
import TestSupport

@Suite struct PythonInteropTests {
    static let python = ProcessInfo.processInfo.environment["HYPERZOO_PYTHON"]

    @Test(.enabled(if: python != nil, "HYPERZOO_PYTHON is unset: run tools/test (it creates .venv-test with h5py and numpy)"))
    func zooToNumpyRebuildsStateDicts() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        try TinyZoo.write(path, models: 3, epochs: 2, compression: true)

        let script = Fixtures.repositoryRoot.appendingPathComponent("tools/zoo_to_numpy.py").path
        let (status, stdout, stderr) = try run(Self.python!, [script, path, "--json", "--npz", dir.path("npz")])
        #expect(status == 0, "zoo_to_numpy.py failed: \(stderr)")
        let output = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as! [String: Any]
        #expect(output["format"] as? String == "hyperzoo.zoo")
        #expect(output["architecture"] as? String == "tiny")
        #expect(output["checkpoints"] as? Int == 6)
        let checkpoints = output["checkpoints_read"] as! [[String: Any]]
        #expect(checkpoints.count == 6)
        for checkpoint in checkpoints {
            let model = Int((checkpoint["model"] as! String).dropFirst())!
            let epoch = checkpoint["epoch"] as! Int
            let expected = TinyZoo.table.stateDict(from: TinyZoo.row(model: model, epoch: epoch))
            let stateDict = checkpoint["state_dict"] as! [String: [String: Any]]
            #expect(Set(stateDict.keys) == Set(expected.map(\.name)))
            for tensor in expected {
                let got = stateDict[tensor.name]!
                #expect(got["shape"] as? [Int] == tensor.shape)
                #expect((got["values"] as! [Double]).map { Float($0) } == Array(tensor.values))
            }
            let metrics = checkpoint["metrics"] as! [String: Any]
            let want = TinyZoo.metrics(model: model, epoch: epoch)
            #expect((metrics["train_loss"] as? Double).map(Float.init) == want.trainLoss)
            #expect(want.testAccuracy.isNaN ? metrics["test_acc"] is NSNull : (metrics["test_acc"] as? Double).map(Float.init) == want.testAccuracy)
        }
        #expect(FileManager.default.fileExists(atPath: dir.path("npz/m2_epoch1.npz")))

        // A non-zoo file: exit status 1 and one line.
        let text = dir.path("text.h5")
        try "nope".write(toFile: text, atomically: true, encoding: .utf8)
        let (badStatus, _, badError) = try run(Self.python!, [script, text])
        #expect(badStatus == 1)
        #expect(badError.hasPrefix("zoo_to_numpy: \(text): cannot open as HDF5"))
    }

    /// A file with two architectures: h5py sees both groups, and every checkpoint gets its own
    /// group's state_dict names (what a PyTorch user loads).
    @Test(.enabled(if: python != nil, "HYPERZOO_PYTHON is unset: run tools/test (it creates .venv-test with h5py and numpy)"))
    func zooToNumpyNamesEachGroupsRows() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        let writer = try ZooWriter.create(path: path, layouts: [TwoLayouts.plain, TwoLayouts.dropout], compression: .gzip)
        try TwoLayouts.fill(writer, models: 0..<3, epochs: 0..<2)
        try writer.finish()

        let script = Fixtures.repositoryRoot.appendingPathComponent("tools/zoo_to_numpy.py").path
        let (status, stdout, stderr) = try run(Self.python!, [script, path, "--json", "--npz", dir.path("npz")])
        #expect(status == 0, "zoo_to_numpy.py failed: \(stderr)")
        let output = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as! [String: Any]
        #expect(output["format_version"] as? Int == 2)
        #expect(output["architectures"] as? [String] == ["tiny", "tiny_dropout"])
        #expect(output["checkpoints"] as? Int == 6)
        let reader = try ZooReader(path: path)
        let checkpoints = output["checkpoints_read"] as! [[String: Any]]
        #expect(checkpoints.count == 6)
        for checkpoint in checkpoints {
            // Python's row numbers are the reader's global rows.
            let row = checkpoint["row"] as! Int
            #expect(checkpoint["model"] as? String == reader.model(row: row).id)
            #expect(checkpoint["epoch"] as? Int == reader.epoch[row])
            #expect(checkpoint["architecture"] as? String == reader.architecture(ofRow: row))
            let expected = reader.table(ofRow: row).stateDict(from: try reader.readRow(row))
            let stateDict = checkpoint["state_dict"] as! [String: [String: Any]]
            #expect(Set(stateDict.keys) == Set(expected.map(\.name)))
            for tensor in expected {
                #expect((stateDict[tensor.name]!["values"] as! [Double]).map { Float($0) } == Array(tensor.values))
            }
        }
        // The dropout model's npz holds the shifted names.
        let (listStatus, keys, _) = try run(Self.python!, ["-c", "import numpy, sys; print(','.join(sorted(numpy.load(sys.argv[1]).files)))",
                                                           dir.path("npz/m1_epoch1.npz")])
        #expect(listStatus == 0)
        #expect(keys.trimmingCharacters(in: .whitespacesAndNewlines) == "module_list.0.bias,module_list.0.weight,module_list.3.bias,module_list.3.weight")
    }

    func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
