// The archives under fixtures/archives/hostile (made by tools/fixtures/make-hostile-archives) must be
// refused with a clear message, leaving neither the destination nor a staging folder behind, and
// writing nothing outside it.
@testable import Archive
import Foundation
import Testing
import TestSupport

@Suite struct HostileArchiveTests {
    static let hostile = Fixtures.project.appendingPathComponent("archives/hostile")

    func expectRefused(_ name: String, limits: ExtractionLimits = ExtractionLimits(), mentioning words: String) throws {
        let dir = TemporaryDirectory()
        let destination = dir.path("inner/out")
        var message = ""
        do {
            try SafeExtractor.extract(archive: Self.hostile.appendingPathComponent(name).path, to: destination, limits: limits)
        } catch let error as ArchiveError {
            message = error.description
        }
        #expect(message.contains(words), "\(name): got '\(message)'")
        #expect(message.contains(name), "the message should name the archive: '\(message)'")
        // Nothing extracted, nothing staged, nothing escaped into the parent folders.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("inner")).isEmpty, "\(name) left files behind")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["inner"])
    }

    @Test func zipSlipTar() throws { try expectRefused("zip-slip.tar", mentioning: "'..' component refused") }
    @Test func zipSlipZip() throws { try expectRefused("zip-slip.zip", mentioning: "'..' component refused") }
    @Test func absolutePath() throws { try expectRefused("absolute.tar", mentioning: "absolute path refused") }
    @Test func symlinkToAbsolute() throws { try expectRefused("symlink-absolute.tar", mentioning: "leaves the extraction folder") }
    @Test func symlinkAboveRoot() throws { try expectRefused("symlink-parent.tar", mentioning: "leaves the extraction folder") }
    @Test func writeThroughSymlink() throws { try expectRefused("through-symlink.tar", mentioning: "goes through a link") }
    @Test func hardlinkEscape() throws { try expectRefused("hardlink-escape.tar", mentioning: "hardlink") }
    @Test func specialFile() throws { try expectRefused("fifo.tar", mentioning: "special file") }
    @Test func duplicateEntry() throws { try expectRefused("duplicate.tar", mentioning: "duplicate entry") }
    @Test func truncated() throws { try expectRefused("truncated.tar.gz", mentioning: "truncated") }
    @Test func compressionBomb() throws {
        try expectRefused("bomb.tar.gz", limits: ExtractionLimits(maxTotalBytes: 1 << 20), mentioning: "compression bomb")
    }

    @Test func entryLargerThanDeclaredByCaller() throws {
        let dir = TemporaryDirectory()
        let archive = dir.path("x.tar.zst")
        let writer = try ArchiveWriter(path: archive, format: .tarZstd)
        try writer.addData(Array(repeating: 7, count: 5000), as: "weights.bin")
        try writer.finish()
        #expect {
            try SafeExtractor.extract(archive: archive, to: dir.path("out"), declaredSize: { $0 == "weights.bin" ? 100 : nil })
        } throws: { ($0 as? ArchiveError)?.description.contains("larger than its declared 100 bytes") == true }
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }

    @Test func checkFailureDiscardsExtraction() throws {
        let dir = TemporaryDirectory()
        let archive = dir.path("x.zip")
        try ArchiveWriter.write(files: try makeSourceFiles(dir), to: archive, format: .zip)
        struct Rejected: Error {}
        #expect(throws: Rejected.self) {
            try SafeExtractor.extract(archive: archive, to: dir.path("out"), check: { files, _ in
                if files.count == 4 { throw Rejected() }
            })
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }

    @Test func existingDestinationIsNotTouched() throws {
        let dir = TemporaryDirectory()
        let archive = dir.path("x.tar")
        try ArchiveWriter.write(files: try makeSourceFiles(dir), to: archive, format: .tar)
        try FileManager.default.createDirectory(atPath: dir.path("out"), withIntermediateDirectories: true)
        #expect(throws: ArchiveError.self) { try SafeExtractor.extract(archive: archive, to: dir.path("out")) }
    }

    @Test func linksInsideTheFolderAreKept() throws {
        // A relative symlink that stays inside is fine (only links leaving, or writes through links, are refused).
        #expect(SafeExtractor.symlinkStaysInside("../b", linkPath: ["d", "a"]))
        #expect(!SafeExtractor.symlinkStaysInside("../../b", linkPath: ["d", "a"]))
        #expect(!SafeExtractor.symlinkStaysInside("x/../b", linkPath: ["d", "a"]))
    }
}
