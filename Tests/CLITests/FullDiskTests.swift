// Writing stages on a full disk: a small tmpfs mounted in a private mount namespace
// (`unshare -rm`): hz-tokenize, hz-augment, hz-convert (safetensors here; HDF5 and a read-only
// folder in HostileCorpusTests), hz-zoo, hz-sample, hz-archive, hz-train and hz-eval. Each run
// must exit 1...127 with one error line naming the output and "no space left on device", leave no
// new file and no .partial, and keep an existing output (replaced with --force) byte for byte. libhdf5 writes its caches when the file is closed, so the close is
// where a full disk shows for HDF5 outputs (File.closeReportingErrors).
import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct FullDiskTests {
    /// Whether tmpfs mounts are allowed here; the reason when they are not (the test then says so).
    static let mountProblem: String? = {
        guard let run = try? ChildRun.run("/usr/bin/unshare", ["-rm", "/bin/sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"]) else {
            return "cannot run /usr/bin/unshare"
        }
        return run.status == 0 ? nil : "unshare -rm + mount -t tmpfs not permitted: \(run.stderr.prefix(200))"
    }()

    /// Runs `command` (a stage writing `output` inside the mount, `$M`) on a tmpfs of `size` and
    /// checks the full-disk contract. With `existing`, the mount already holds `output` with the
    /// text "keep", which must survive byte for byte; otherwise the mount must be left empty.
    /// `prepare` writes the stage's inputs into the test folder (default: a small CNN-s zoo.h5).
    func expectFullDiskRefused(_ label: String, _ command: String, output: String, size: String = "64k", existing: Bool = true,
                               prepare: (TemporaryDirectory) throws -> Void = { try FullDiskFixtures.writeZoo($0.path("zoo.h5")) }) throws {
        if let mountProblem = Self.mountProblem {
            withKnownIssue("skipped: \(mountProblem)") { Issue.record("full-disk test \(label) not run") }
            return
        }
        let dir = TemporaryDirectory()
        try prepare(dir)
        let mount = dir.path("mnt")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let keep = existing ? "printf keep > \"$M/\(output)\"" : "true"
        let script = """
            export PATH='\(StageBinaries.folder)':$PATH M='\(mount)'; cd '\(dir.url.path)'
            mount -t tmpfs -o size=\(size) tmpfs "$M" && \(keep) || exit 99
            \(command); echo "rc=$?"; ls -A "$M"; \(existing ? "cat \"$M/\(output)\"" : "true")
            """
        let run = try ChildRun.run("/usr/bin/unshare", ["-rm", "/bin/sh", "-c", script], timeLimit: 180)
        // Error lines: what reports the failure (a stage's informational lines, such as hz-train's
        // "16 training / 0 validation checkpoints", and progress bars are not errors).
        let errors = run.stderr.split(separator: "\n").filter { line in
            let lower = line.lowercased()
            return !line.hasPrefix("\u{1B}") && !line.contains("\r")
                && ["no space", "error", "fail", "cannot", "could not", "unable", "not enough"].contains { lower.contains($0) }
        }
        let rc = run.stdout.split(separator: "\n").first.flatMap { $0.hasPrefix("rc=") ? Int($0.dropFirst(3)) : nil }
        #expect(rc.map { (1...127).contains($0) } == true, "\(label): \(run.stdout) \(run.stderr.prefix(600))")
        #expect(errors.count == 1, "\(label): expected one error line, got: \(run.stderr.prefix(800))")
        #expect(errors.first.map { $0.contains(output) && $0.lowercased().contains("no space left on device") } == true,
                "\(label): \(run.stderr.prefix(600))")
        if existing {
            #expect(run.stdout.hasSuffix("\n\(output)\nkeep"), "\(label): output folder afterwards: \(run.stdout)")
        } else {
            #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1,
                    "\(label): the output folder must be left empty: \(run.stdout)")
        }
    }

    @Test func tokenizeToHDF5() throws {
        try expectFullDiskRefused("hz-tokenize -o .h5", "hz-tokenize zoo.h5 -o \"$M/tokens.h5\" --force", output: "tokens.h5")
    }

    @Test func tokenizeToStreamFile() throws {
        try expectFullDiskRefused("hz-tokenize -o stream", "hz-tokenize zoo.h5 -o \"$M/tokens.hzrs\" --force", output: "tokens.hzrs")
    }

    @Test func augmentToHDF5() throws {
        try expectFullDiskRefused("hz-augment -o .h5", "hz-augment zoo.h5 --views 2 --permute -o \"$M/views.h5\" --force", output: "views.h5")
    }

    @Test func convertToSafetensors() throws {
        try expectFullDiskRefused("hz-convert --to safetensors", "hz-convert zoo.h5 --to safetensors -o \"$M/exported\"", output: "exported",
                                  size: "16k", existing: false)
    }

    @Test func zoo() throws {
        try expectFullDiskRefused("hz-zoo", "hz-zoo zoo.json -o \"$M/zoo.h5\" --force --threads 1", output: "zoo.h5") { dir in
            try FullDiskFixtures.writeZooSpec(dir.path("zoo.json"))
        }
    }

    @Test func sample() throws {
        try expectFullDiskRefused("hz-sample", "hz-sample ae.h5 zoo.h5 --count 2000 -o \"$M/pop.h5\" --force", output: "pop.h5") { dir in
            _ = try writeTinyZooAndAutoencoder(in: dir)
        }
    }

    @Test func archive() throws {
        try expectFullDiskRefused("hz-archive", "hz-archive create -o \"$M/pop.tar.zst\" --population pop.h5 --force", output: "pop.tar.zst") { dir in
            _ = try writeTinyZooAndAutoencoder(in: dir)
            let sampled = try ToolRunner.run("hz-sample", [dir.path("ae.h5"), dir.path("zoo.h5"), "--count", "2000", "-o", dir.path("pop.h5")])
            #expect(sampled.status == 0, "\(sampled.stderr)")
        }
    }

    @Test func train() throws {
        try expectFullDiskRefused("hz-train", "hz-train zoo.h5 -o \"$M/ae.h5\" --epochs 2 --force \(FullDiskFixtures.tinyAutoencoder)", output: "ae.h5") { dir in
            _ = try writeTinyZooAndAutoencoder(in: dir)
        }
    }

    @Test func eval() throws {
        try expectFullDiskRefused("hz-eval", "hz-eval pop.h5 --zoo zoo.h5 --epochs 0 --models 2 --bootstrap 20 --threads 1 -o \"$M/report\"",
                                  output: "report", size: "16k", existing: false) { dir in
            try trainTinyMLPZooWithAutoencoder(in: dir, dataset: #"{"name": "synthetic", "synthetic_counts": [120, 20, 80]}"#, models: 6, epochs: 1)
            let sampled = try ToolRunner.run("hz-sample", [dir.path("ae.h5"), dir.path("zoo.h5"), "--count", "2", "--anchors", "top50", "-o", dir.path("pop.h5")])
            #expect(sampled.status == 0, "\(sampled.stderr)")
        }
    }
}

enum FullDiskFixtures {
    /// The CNN-s zoo of TokenStageCLITests (3 models × 2 epochs, about 60 KB of weights).
    static func writeZoo(_ path: String) throws { try TokenStageCLITests.writeZoo(path) }

    /// hz-train options for an autoencoder of a few thousand parameters.
    static let tinyAutoencoder = "--width 16 --ff-width 32 --latent 8 --head 1,16,8 --batch-size 4"

    /// A zoo spec of 4 MLPs (784-6-10, about 19 KB per checkpoint) on synthetic data, 2 epochs.
    static func writeZooSpec(_ path: String) throws {
        try """
            {"name": "tiny", "architecture": {"family": "mlp", "channels": 1, "hidden": [6], "activation": "tanh"},
             "dataset": {"name": "synthetic", "synthetic_counts": [120, 20, 80]}, "initializer": "kaiming_uniform",
             "optimizer": {"kind": "adam", "learning_rate": 0.003}, "batch_size": 20, "epochs": 2, "seeds": {"start": 1, "count": 4}}
            """.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
