// A FIFO (or any non-regular file) named as a stage's input is refused at once with one line
// naming it, instead of blocking forever in open() waiting for a writer. Pipes between stages go
// through "-" (stdin), which TokenStageCLITests and TrainViewStreamTests keep working.
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct FifoInputTests {
    /// Runs `tool arguments` with a 30 s limit (a hang throws) and checks the one-line refusal.
    func expectRefused(_ tool: String, _ arguments: (_ fifo: String, _ dir: TemporaryDirectory) -> [String]) throws {
        let dir = TemporaryDirectory()
        try TokenStageCLITests.writeZoo(dir.path("zoo.h5"))
        let fifo = dir.path("input.fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        let run = try ChildRun.run(StageBinaries.folder + "/" + tool, arguments(fifo, dir), timeLimit: 30)
        let lines = run.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(!run.signalled && (1...127).contains(run.status), "\(tool): status \(run.status) \(run.stderr.prefix(400))")
        #expect(lines.count == 1 && lines[0].contains(fifo) && lines[0].contains("FIFO"), "\(tool): \(run.stderr.prefix(600))")
    }

    @Test func tokenizeRefusesAFifo() throws {
        try expectRefused("hz-tokenize") { fifo, dir in [fifo, "-o", dir.path("t.h5")] }
    }

    @Test func augmentRefusesAFifo() throws {
        try expectRefused("hz-augment") { fifo, dir in [fifo, "--views", "2", "-o", dir.path("v.h5")] }
    }

    @Test func trainRefusesAFifoAsViews() throws {
        try expectRefused("hz-train") { fifo, dir in
            [dir.path("zoo.h5"), "--views", fifo, "-o", dir.path("ae.h5")] + TrainViewStreamTests.tiny.split(separator: " ").map(String.init)
        }
    }
}
