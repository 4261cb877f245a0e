// Runs the hostile-input corpus (tools/fixtures/make-hostile-corpus, generated into a temporary folder)
// through the real binaries (hz-convert, hz-augment, hz-zoo, hz-pipeline), one subprocess per
// case, and checks what issue 15 asks of every reader: one error line naming the culprit input,
// an exit status in 1...127 (no signal, no trap), no output file left (nor its .partial), an
// existing output untouched, and a peak resident memory under 512 MB (the child's ru_maxrss from
// wait4) within a 3 GiB address space (`ulimit -v`). Cases marked "partial" must convert the good
// inputs and report the bad ones. Also: a full disk and a read-only folder (a tmpfs in a private
// mount namespace, when `unshare` is allowed; FullDiskTests does so for every writing stage).
import Foundation
import Testing
import TestSupport
import Formats
#if canImport(Glibc)
import Glibc
#endif

/// One child process: exit status (or signal), output and peak memory.
struct ChildRun {
    var status: Int32
    var signalled: Bool
    var stdout: String
    var stderr: String
    var maxResidentKB: Int

    /// Runs `executable` with `arguments` (posix_spawn, waited with wait4 for its rusage); a child
    /// still running after `timeLimit` seconds is killed and the run throws. With
    /// `addressSpaceLimitKB` the child runs under `ulimit -v` (through /bin/sh, which execs it):
    /// an allocation sized by a number the input declares then fails even where the kernel would
    /// hand out untouched zero pages without raising the resident size.
    static func run(_ executable: String, _ arguments: [String], timeLimit: TimeInterval = 120,
                    addressSpaceLimitKB: Int? = nil) throws -> ChildRun {
        if let limit = addressSpaceLimitKB {
            return try run("/bin/sh", ["-c", "ulimit -v \(limit) && exec \"$0\" \"$@\"", executable] + arguments, timeLimit: timeLimit)
        }
        let dir = TemporaryDirectory()
        let out = dir.path("stdout"), err = dir.path("stderr")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        // A child that blocks (a reader opening a FIFO, say) must fail the test, not hang the
        // suite: poll, and kill it after `timeLimit` seconds.
        let deadline = Date().addingTimeInterval(timeLimit)
        var timedOut = false
        while true {
            let done = wait4(pid, &status, WNOHANG, &usage)
            if done == pid { break }
            if done < 0 && errno != EINTR { throw TestFailure("wait4 failed for \(executable)") }
            if !timedOut && Date() > deadline { timedOut = true; kill(pid, SIGKILL) }
            usleep(5_000)
        }
        if timedOut { throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish in \(Int(timeLimit)) s (blocked?)") }
        let signalled = (status & 0x7F) != 0
        return ChildRun(status: signalled ? status & 0x7F : (status >> 8) & 0xFF, signalled: signalled,
                        stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                        stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "",
                        maxResidentKB: Int(usage.ru_maxrss))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite(.serialized) struct HostileCorpusTests {
    static let memoryLimitKB = 512 * 1024
    /// Address space each case may reserve: a 4 GiB buffer sized by a frame's length field (and
    /// zero-filled lazily, so invisible in ru_maxrss) does not fit.
    static let addressSpaceLimitKB = 3 * 1024 * 1024
    static let python = ProcessInfo.processInfo.environment["HYPERZOO_PYTHON"] ?? "/usr/bin/python3"

    struct Case: Decodable {
        var name: String
        var tool: String
        var args: [String]
        var expect: String
        /// What the error line must name (the culprit input); `{case}` is the case folder.
        var names: String
    }

    /// Generates the corpus into `dir` and returns its cases.
    static func corpus(in dir: TemporaryDirectory) throws -> [Case] {
        let generator = Fixtures.repositoryRoot.path + "/tools/fixtures/make-hostile-corpus"
        let run = try ChildRun.run(python, [generator, dir.path("corpus")])
        guard run.status == 0, !run.signalled else { throw TestFailure("make-hostile-corpus failed: \(run.stderr)") }
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.path("corpus/cases.json")))
        return try JSONDecoder().decode([Case].self, from: data)
    }

    @Test func everyCaseEndsInOneErrorLineWithBoundedMemory() throws {
        guard ToolRunner.isBuilt("hz-convert") else { Issue.record("hz-convert is not built"); return }
        let dir = TemporaryDirectory()
        let cases = try Self.corpus(in: dir)
        #expect(cases.count >= 20)
        for c in cases {
            let folder = dir.path("corpus/\(c.name)")
            let args = c.args.map { $0.replacingOccurrences(of: "{case}", with: folder) }
            let run = try ChildRun.run(ToolRunner.executable(c.tool).path, args, addressSpaceLimitKB: Self.addressSpaceLimitKB)
            let lines = run.stderr.split(separator: "\n").filter { !$0.hasPrefix("\u{1B}") && !$0.contains("converting") }
            #expect(!run.signalled, "\(c.name): killed by signal \(run.status): \(run.stderr.prefix(300))")
            #expect(run.maxResidentKB < Self.memoryLimitKB, "\(c.name): peak memory \(run.maxResidentKB / 1024) MB")
            switch c.expect {
            case "checkpoints":
                continue // checked by convertsAFolderOfPlainCheckpoints
            case "partial":
                #expect(run.status == 0, "\(c.name): exit \(run.status): \(run.stderr)")
                #expect(FileManager.default.fileExists(atPath: folder + "/out.h5"), "\(c.name): nothing converted")
                #expect(run.stdout.contains("\"modelsConverted\" : 2"), "\(c.name): \(run.stdout.prefix(400))")
                // Problems name the model (the file's stem): b and c are the bad views.
                #expect(run.stdout.contains("\"model\" : \"b\"") && run.stdout.contains("\"model\" : \"c\""), "\(c.name): bad files not reported: \(run.stdout.prefix(600))")
            default:
                #expect((1...127).contains(run.status), "\(c.name): exit \(run.status)")
                #expect(lines.count == 1, "\(c.name): expected one error line, got \(lines.count): \(run.stderr.prefix(400))")
                // 15.13: the line names the input, not the output (empty safetensors / npz named out.h5).
                let culprit = c.names.replacingOccurrences(of: "{case}", with: folder)
                #expect(lines.first?.contains(culprit) == true, "\(c.name): the error does not name \(culprit): \(run.stderr.prefix(400))")
                #expect(!run.stderr.contains("NSCocoaErrorDomain") && !run.stderr.contains("Fatal error"), "\(c.name): \(run.stderr.prefix(300))")
                let left = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasPrefix("out") } ?? []
                #expect(left.isEmpty, "\(c.name): left \(left)")
            }
        }
    }

    /// Issue 19.4 and 19.5: a folder of plain training checkpoints converts, the keys left out
    /// (optimizer, epoch) are listed, num_batches_tracked comes back out as int64, and
    /// `-o exported/` (trailing slash) exports into `exported`.
    @Test func convertsAFolderOfPlainCheckpoints() throws {
        guard ToolRunner.isBuilt("hz-convert") else { Issue.record("hz-convert is not built"); return }
        let dir = TemporaryDirectory()
        _ = try Self.corpus(in: dir)
        let folder = dir.path("corpus/plain-checkpoint-folder")
        let convert = ToolRunner.executable("hz-convert").path
        let run = try ChildRun.run(convert, [folder, "-o", folder + "/out.h5", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(summary?["modelsConverted"] as? Int == 2)
        let skipped = (summary?["skippedKeys"] as? [[String: Any]])?.compactMap { $0["key"] as? String }
        #expect(skipped == ["optimizer", "epoch"], "\(run.stdout)")
        let text = try ChildRun.run(convert, [folder, "-o", folder + "/again.h5"])
        #expect(text.stdout.contains("skipped checkpoint keys (not model weights; checkpoints holding them): optimizer (2), epoch (2)"), "\(text.stdout)")

        let exported = try ChildRun.run(convert, [folder + "/out.h5", "--to", "safetensors", "-o", folder + "/exported/"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("2 safetensors files"), "\(exported.stdout)")
        let file = folder + "/exported/model_a/epoch_0.safetensors"
        let tensors = try Safetensors.read(path: file)
        let counter = try #require(tensors.first { $0.name == "bn.num_batches_tracked" })
        #expect(counter.tensor.dtype == .int64 && counter.tensor.shape == [])
        #expect(counter.tensor.bytes == withUnsafeBytes(of: Int64(1234).littleEndian, Array.init))
        #expect(tensors.first { $0.name == "conv.weight" }?.tensor.dtype == .float32)
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains { $0.contains(".partial") })
    }

    /// An existing output survives a failing conversion (no --force: refused; --force: the bad
    /// input fails before anything replaces it).
    @Test func existingOutputsAreUntouched() throws {
        guard ToolRunner.isBuilt("hz-convert") else { Issue.record("hz-convert is not built"); return }
        let dir = TemporaryDirectory()
        _ = try Self.corpus(in: dir)
        let folder = dir.path("corpus/pickle-deep-list-zip")
        let output = folder + "/existing.h5"
        let original = Data("precious".utf8)
        FileManager.default.createFile(atPath: output, contents: original)
        for extra in [[String](), ["--force"]] {
            let run = try ChildRun.run(ToolRunner.executable("hz-convert").path, [folder + "/m.pt", "-o", output] + extra)
            #expect((1...127).contains(run.status) && !run.signalled, "exit \(run.status) \(run.stderr)")
            #expect(FileManager.default.contents(atPath: output) == original)
            #expect(!FileManager.default.fileExists(atPath: output + ".partial"))
        }
    }

    /// A full disk and a read-only folder: one error line each, no .partial left (needs a tmpfs
    /// in a private mount namespace: `unshare -rm`; skipped where that is not allowed).
    @Test(.enabled(if: ToolRunner.isBuilt("hz-convert") && FullDiskTests.mountProblem == nil,
                   "needs hz-convert built and tmpfs mounts in a user namespace (unshare -rm)"))
    func fullDiskAndReadOnlyFolder() throws {
        let dir = TemporaryDirectory()
        let mount = dir.path("mnt")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let source = Fixtures.repositoryRoot.path + "/fixtures/shared/modelzoo-fmnist-mini"
        let convert = ToolRunner.executable("hz-convert").path
        for (label, options) in [("full", "size=200k"), ("read-only", "size=1m,ro")] {
            let script = "mount -t tmpfs -o \(options) tmpfs '\(mount)' && '\(convert)' '\(source)' -o '\(mount)/zoo.h5'; echo \"rc=$?\"; ls -A '\(mount)'"
            let run = try ChildRun.run("/usr/bin/unshare", ["-rm", "/bin/sh", "-c", script])
            let lines = run.stderr.split(separator: "\n").filter { !$0.hasPrefix("\u{1B}") && !$0.contains("converting") && !$0.isEmpty }
            #expect(run.stdout.hasPrefix("rc=1\n"), "\(label): \(run.stdout) \(run.stderr.prefix(400))")
            #expect(!run.stdout.contains("partial"), "\(label): left \(run.stdout)")
            #expect(lines.count == 1, "\(label): \(run.stderr.prefix(600))")
            #expect(!run.stderr.contains("NSCocoaErrorDomain") && !run.stderr.contains("Program crashed"), "\(label): \(run.stderr.prefix(300))")
        }
    }
}
