// The MPI wrapper through real mpirun: two ranks on loopback run hz-mpi-check, whose
// collectives' results are compared with sums computed here.
import Foundation
import Testing
import TestSupport
@testable import MPI

@Suite("MPI wrapper")
struct MPIWrapperTests {
    @Test("allreduce, allgather and broadcast agree across 2 ranks under mpirun",
          .enabled(if: MPIRunner.enabled, "mpirun not found (install openmpi-bin libopenmpi-dev); HYPERZOO_REQUIRE_MPI=1 makes this a failure"))
    func collectivesUnderMpirun() throws {
        try #require(ToolRunner.isBuilt("hz-mpi-check"), "build hz-mpi-check first (swift build --build-tests)")
        let result = try MPIRunner.run(ranks: 2, "hz-mpi-check", [])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("rank=") }.map(String.init).sorted()
        // Rank r sends floats [r+1, 10r, 0.5], doubles [r+0.25, r²], gathers [r, 100+r], root 0 broadcasts 7.
        let expectedTail = "sumf=3.0,10.0,1.0 sumd=1.5,1.0 gather=0.0,100.0,1.0,101.0 bcast=7.0"
        #expect(lines == ["rank=0 size=2 launched=true \(expectedTail)", "rank=1 size=2 launched=true \(expectedTail)"],
                "mpirun output:\n\(result.stdout)\n\(result.stderr)")
    }

    @Test("a plain run (no launcher) is a 1-rank world and detects no launcher",
          .enabled(if: MPIRunner.enabled, "needs OpenMPI (openmpi-bin libopenmpi-dev), whose libmpi hz-mpi-check loads"))
    func singletonWithoutLauncher() throws {
        let result = try ToolRunner.run("hz-mpi-check", [])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("rank=0 size=1 launched=false sumf=1.0,0.0,0.5 sumd=0.25,0.0 gather=0.0,100.0 bcast=7.0"), "\(result.stdout)")
    }

    @Test("launcher detection reads OpenMPI, PMIx and PMI variables")
    func launcherDetection() {
        #expect(!MPILauncher.isLaunched([:]))
        #expect(!MPILauncher.isLaunched(["PATH": "/usr/bin"]))
        #expect(MPILauncher.isLaunched(["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(MPILauncher.isLaunched(["PMIX_RANK": "0"]))
        #expect(MPILauncher.isLaunched(["PMI_RANK": "3"]))
    }

    @Test("a missing libmpi gives one error line saying what to install")
    func missingLibraryMessage() {
        do {
            _ = try MPILibrary(candidates: ["libmpi-hyperzoo-absent.so.99"])
            Issue.record("loading an absent libmpi did not fail")
        } catch {
            let text = "\(error)"
            #expect(text.contains("install openmpi-bin / libopenmpi-dev"), "\(text)")
            #expect(!text.contains("\n"))
        }
    }
}
