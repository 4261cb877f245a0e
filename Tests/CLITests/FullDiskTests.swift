// Writing stages on a full disk: a small tmpfs mounted in a private mount namespace
// (`unshare -rm`). Each run must exit 1...127 with one error line naming the output and "no space
// left on device", leave no new file and no .partial, and keep an existing output (replaced with
// --force) byte for byte. libhdf5 writes its caches when the file is closed, so the close is
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

    /// Runs `command` (a stage writing `output` inside the mount, `$M`) on a tmpfs of `size`
    /// that already holds `output` with the text "keep", and checks the full-disk contract.
    func expectFullDiskRefused(_ label: String, _ command: String, output: String, size: String = "64k") throws {
        if let mountProblem = Self.mountProblem {
            withKnownIssue("skipped: \(mountProblem)") { Issue.record("full-disk test \(label) not run") }
            return
        }
        let dir = TemporaryDirectory()
        try FullDiskFixtures.writeZoo(dir.path("zoo.h5"))
        let mount = dir.path("mnt")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let script = """
            export PATH='\(StageBinaries.folder)':$PATH M='\(mount)'; cd '\(dir.url.path)'
            mount -t tmpfs -o size=\(size) tmpfs "$M" && printf keep > "$M/\(output)" || exit 99
            \(command); echo "rc=$?"; ls -A "$M"; cat "$M/\(output)"
            """
        let run = try ChildRun.run("/usr/bin/unshare", ["-rm", "/bin/sh", "-c", script], timeLimit: 120)
        let errors = run.stderr.split(separator: "\n").filter { !$0.isEmpty && !$0.hasPrefix("\u{1B}") && !$0.contains("\r") }
        let rc = run.stdout.split(separator: "\n").first.flatMap { $0.hasPrefix("rc=") ? Int($0.dropFirst(3)) : nil }
        #expect(rc.map { (1...127).contains($0) } == true, "\(label): \(run.stdout) \(run.stderr.prefix(600))")
        #expect(errors.count == 1, "\(label): expected one error line, got: \(run.stderr.prefix(800))")
        #expect(errors.first.map { $0.contains(output) && $0.lowercased().contains("no space left on device") } == true,
                "\(label): \(run.stderr.prefix(600))")
        #expect(run.stdout.hasSuffix("\n\(output)\nkeep"), "\(label): output folder afterwards: \(run.stdout)")
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
}

enum FullDiskFixtures {
    /// The CNN-s zoo of TokenStageCLITests (3 models × 2 epochs, about 60 KB of weights).
    static func writeZoo(_ path: String) throws { try TokenStageCLITests.writeZoo(path) }
}
