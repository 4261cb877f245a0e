// hz-archive and hz-pipeline end to end through the real executables: a Model Zoos folder is
// converted and archived by a pipeline (hz-convert → hz-archive create), the archive verifies and
// its safetensors load in Swift with the zoo's weights; a re-run is fully cached; hostile and
// tampered archives fail with exit status 1 and a clear message.
import Foundation
import Formats
import Testing
import TestSupport

@Suite struct ArchivePipelineCLITests {
    /// The folder holding the built executables (next to the test bundle).
    static var binFolder: URL { ToolRunner.executable("hz-pipeline").deletingLastPathComponent() }
    static var built: Bool {
        ["hz-pipeline", "hz-archive", "hz-convert"].allSatisfy { FileManager.default.fileExists(atPath: binFolder.appendingPathComponent($0).path) }
    }

    func run(_ tool: String, _ arguments: [String], in folder: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try ToolRunner.run(tool, arguments, in: folder)
    }

    @Test(.enabled(if: built, "needs hz-pipeline, hz-archive and hz-convert built (swift build)"))
    func convertAndArchivePipeline() throws {
        let dir = TemporaryDirectory()
        let zoos = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini").path
        let spec = dir.path("spec.json")
        try """
            {"pipeline": "pack", "output": "run", "results": {"archive": "archive.output"},
             "stages": [
               {"name": "convert", "operator": "convert", "inputs": {"source": {"file": "\(zoos)"}},
                "params": {"threads": 1}, "outputs": {"output": "zoo.h5"}},
               {"name": "archive", "operator": "archive.create", "inputs": {"population": "convert.output"},
                "params": {"name": "mini", "spec": "${spec_file}", "lock": "${upstream_lock}"}, "outputs": {"output": "mini.tar.zst"}}
             ]}
            """.write(toFile: spec, atomically: true, encoding: .utf8)
        let graph = try run("hz-pipeline", ["graph", spec], in: dir.url.path)
        #expect(graph.stdout.contains("2. archive  (hz-archive create)  ← convert.output as --population"), "\(graph)")

        let first = try run("hz-pipeline", ["run", spec, "--json"], in: dir.url.path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\"status\": \"ran\""))
        #expect(first.stderr.contains("  archive: run/archive/mini.tar.zst"), "\(first.stderr)")
        let archive = dir.path("run/archive/mini.tar.zst")
        let verified = try run("hz-archive", ["verify", archive, "--json"])
        #expect(verified.status == 0 && verified.stdout.contains("\"valid\": true"), "\(verified)")

        // The safetensors files hold each model's last checkpoint, loadable in Swift.
        let extracted = try run("hz-archive", ["extract", archive, "-o", dir.path("x")])
        #expect(extracted.status == 0, "\(extracted.stderr)")
        // The manifest records the spec as run and the lock entries of the stages upstream.
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path("x/manifest.json")))) as? [String: Any]
        let pipeline = manifest?["pipeline"] as? [String: Any]
        #expect((pipeline?["spec"] as? [String: Any])?["pipeline"] as? String == "pack")
        #expect(((pipeline?["lock"] as? [String: Any])?["stages"] as? [String: Any])?.keys.sorted() == ["convert"])
        let models = try FileManager.default.contentsOfDirectory(atPath: dir.path("x/models")).sorted()
        #expect(models.count == 4)
        let tensors = try Safetensors.read(path: dir.path("x/models/\(models[0])"))
        #expect(tensors.map(\.name).first == "module_list.0.weight")
        #expect(tensors.first?.tensor.shape == [8, 1, 5, 5])
        #expect(tensors.reduce(0) { $0 + $1.tensor.floats().count } == 2464)

        // Unchanged: every stage is cached; a param override reruns only the archive.
        let again = try run("hz-pipeline", ["run", spec], in: dir.url.path)
        #expect(again.status == 0 && again.stdout.contains("0 ran, 2 cached"), "\(again)")
        let renamed = try run("hz-pipeline", ["run", spec, "--set", "archive.name=other"], in: dir.url.path)
        #expect(renamed.stdout.contains("1 ran, 1 cached"), "\(renamed)")

        // A wrong param type is caught before anything runs, with its JSON path.
        let bad = try run("hz-pipeline", ["run", spec, "--set", "convert.threads=many"], in: dir.url.path)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("stages[0].params.threads: expected"), "\(bad.stderr)")
    }

    @Test(.enabled(if: built, "needs hz-archive built (swift build)"))
    func hostileAndTamperedArchivesFail() throws {
        let dir = TemporaryDirectory()
        let slip = Fixtures.project.appendingPathComponent("archives/hostile/zip-slip.tar").path
        let refused = try run("hz-archive", ["extract", slip, "-o", dir.path("out"), "--no-manifest"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("zip-slip.tar:../evil.txt: '..' component refused"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))

        let bomb = Fixtures.project.appendingPathComponent("archives/hostile/bomb.tar.gz").path
        let limited = try run("hz-archive", ["extract", bomb, "-o", dir.path("out"), "--no-manifest", "--max-size", "1M"])
        #expect(limited.status == 1 && limited.stderr.contains("compression bomb"), "\(limited.stderr)")
        // 15.6: a size typed by a person goes through checked arithmetic (9999999999G trapped).
        for size in ["9999999999G", "-1M", "8796093022208M"] {
            // `--max-size=` so that "-1M" reaches the parser as a value, not as a flag.
            let huge = try run("hz-archive", ["extract", bomb, "-o", dir.path("out"), "--no-manifest", "--max-size=\(size)"])
            #expect((1...127).contains(huge.status) && huge.stderr.contains("--max-size: expected a size") && huge.stderr.contains(size), "\(size): \(huge)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))

        // A byte changed inside the archive: verify names the file and fails.
        try Data(repeating: 1, count: 4000).write(to: URL(fileURLWithPath: dir.path("w.bin")))
        let created = try run("hz-archive", ["create", "-o", dir.path("a.tar"), dir.path("w.bin")])
        #expect(created.status == 0, "\(created.stderr)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path("a.tar")))
        let payload = bytes.range(of: Data(repeating: 1, count: 64))!
        bytes[payload.lowerBound + 10] = 2
        try bytes.write(to: URL(fileURLWithPath: dir.path("a.tar")))
        let verify = try run("hz-archive", ["verify", dir.path("a.tar")])
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("w.bin: SHA-256 differs from the manifest"), "\(verify.stderr)")
        let extract = try run("hz-archive", ["extract", dir.path("a.tar"), "-o", dir.path("out2")])
        #expect(extract.status == 1 && !FileManager.default.fileExists(atPath: dir.path("out2")))
    }
}
