// Temporaries of killed runs are removed only when they are this host's and their process is
// gone: on a shared filesystem another node's live writer has a pid that means nothing here.
import FileIO
import Foundation
import Testing
import TestSupport

@Suite struct StaleTemporariesTests {
    /// The pid of a process that has exited (and been reaped), so `kill(pid, 0)` finds nothing.
    static func deadPid() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    /// A process that stays alive until the test stops it.
    static func liveProcess() throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sleep")
        p.arguments = ["60"]
        try p.run()
        return p
    }

    func touch(_ dir: TemporaryDirectory, _ name: String) {
        #expect(FileManager.default.createFile(atPath: dir.path(name), contents: Data("x".utf8)))
    }

    func names(_ dir: TemporaryDirectory) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: dir.url.path))
    }

    @Test func onlyThisHostsDeadWritersAreRemoved() throws {
        let dir = TemporaryDirectory()
        let dead = try Self.deadPid()
        let live = try Self.liveProcess()
        defer { kill(live.processIdentifier, SIGKILL); live.waitUntilExit() }
        let host = temporaryHostTag
        let prefix = ".pop.tar.zst.partial-"
        let thisHostDead = "\(prefix)\(host).\(dead)-0badf00d"
        let thisHostLive = "\(prefix)\(host).\(live.processIdentifier)-12345678"
        let otherHostDead = "\(prefix)other-node-7.\(dead)-0badf00d"
        let otherHostNoSuffix = "\(prefix)\(host)x.\(dead)"
        let ours = "\(prefix)\(temporaryOwnerTag())-00000001"
        let legacyDead = "\(prefix)\(dead)-3735928559"
        let legacyDeadPlain = "\(prefix)\(dead)"
        let legacyLive = "\(prefix)\(live.processIdentifier)"
        let notOurShape = "\(prefix)\(dead)-notes.txt"
        let otherOutput = ".other.h5.partial-\(host).\(dead)"
        for name in [thisHostDead, thisHostLive, otherHostDead, otherHostNoSuffix, ours, legacyDead, legacyDeadPlain,
                     legacyLive, notOurShape, otherOutput] { touch(dir, name) }

        let removed = removeStaleTemporaries(in: dir.url.path, prefix: prefix)

        #expect(Set(removed) == [thisHostDead, legacyDead, legacyDeadPlain])
        #expect(try names(dir) == [thisHostLive, otherHostDead, otherHostNoSuffix, ours, legacyLive, notOurShape, otherOutput])
    }

    @Test func hostTagIsShortAndFilesystemSafe() {
        let tag = temporaryHostTag
        #expect(!tag.isEmpty && tag.utf8.count <= 32)
        #expect(tag.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") })
        #expect(temporaryOwnerTag() == "\(tag).\(getpid())")
    }

    @Test func claimedPathsAreFreshAndClearDeadOnes() throws {
        let dir = TemporaryDirectory()
        let stale = ".out.bin.partial-\(temporaryHostTag).\(try Self.deadPid())-0badf00d"
        touch(dir, stale)
        let a = claimTemporaryPath(besides: dir.path("out.bin"))
        let b = claimTemporaryPath(besides: dir.path("out.bin"))
        #expect(a != b)
        #expect(a.hasPrefix(dir.path(".out.bin.partial-\(temporaryOwnerTag())-")))
        #expect(try names(dir).isEmpty, "the dead writer's temporary is removed; claiming creates nothing")
    }
}
