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

/// The JSON files stages read (zoo specs, pipeline specs, GHRP configs), archive inputs and the
/// small files of a Model Zoos folder are refused without blocking too.
@Suite struct FifoConfigInputTests {
    let tests = FifoInputTests()

    @Test func zooRefusesAFifoSpec() throws {
        try tests.expectRefused("hz-zoo") { fifo, dir in [fifo, "-o", dir.path("z.h5")] }
    }

    @Test func pipelineRefusesAFifoSpec() throws {
        try tests.expectRefused("hz-pipeline") { fifo, _ in ["run", fifo] }
    }

    @Test func importGHRPRefusesAFifoConfig() throws {
        try tests.expectRefused("hz-train") { fifo, dir in ["import-ghrp", fifo, dir.path("model.pt"), "-o", dir.path("ae.h5")] }
    }

    @Test func archiveRefusesAFifoMember() throws {
        try tests.expectRefused("hz-archive") { fifo, dir in ["create", "-o", dir.path("a.tar"), "--population", fifo] }
    }

    @Test func convertReportsAFifoInAModelZoosFolderAndConvertsTheRest() throws {
        let dir = TemporaryDirectory()
        let source = Fixtures.repositoryRoot.path + "/fixtures/shared/modelzoo-fmnist-mini"
        let folder = dir.path("zoo")
        try FileManager.default.copyItem(atPath: source, toPath: folder)
        let trials = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("NN_") }.sorted()
        let params = folder + "/" + trials[0] + "/params.json"
        try FileManager.default.removeItem(atPath: params)
        #expect(mkfifo(params, 0o644) == 0)
        let run = try ChildRun.run(StageBinaries.folder + "/hz-convert", [folder, "-o", dir.path("zoo.h5")], timeLimit: 60)
        #expect(!run.signalled, "hz-convert hung or crashed on a FIFO params.json: \(run.stderr.prefix(400))")
        let said = run.stdout + run.stderr  // the import summary lists each model's problem
        #expect(run.status == 0 && said.contains(params) && said.contains("FIFO"), "\(said.prefix(800))")
    }
}

extension FifoConfigInputTests {
    @Test func archiveListRefusesAFifoArchive() throws {
        try tests.expectRefused("hz-archive") { fifo, _ in ["list", fifo] }
    }
}
