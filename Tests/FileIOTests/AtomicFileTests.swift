// The one atomic whole-file write: nothing under the final name until commit, the old file kept
// on any failure, and no temporary left behind by a commit, a discard or a dropped writer.
import FileIO
import Foundation
import Testing
import TestSupport

@Suite struct AtomicFileTests {
    func names(_ dir: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted()
    }

    @Test func commitReplacesTheFileAndLeavesNoTemporary() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("weights.safetensors")
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let file = try AtomicFile(path: path)
        #expect(file.temporaryPath.hasPrefix(dir.path(".weights.safetensors.partial-\(temporaryOwnerTag())-")))
        try file.write(Array("new ".utf8))
        try Array("bytes".utf8).withUnsafeBytes { try file.write($0) }
        #expect(FileManager.default.contents(atPath: path) == Data("old".utf8), "nothing changes before commit")
        try file.commit()
        #expect(FileManager.default.contents(atPath: path) == Data("new bytes".utf8))
        #expect(try names(dir) == ["weights.safetensors"])
        #expect(throws: OutputFileError.self) { try file.commit() }
    }

    @Test func droppedOrDiscardedWritersLeaveTheOldFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("out.bin")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: path))
        do {
            let dropped = try AtomicFile(path: path)
            try dropped.write([1, 2, 3])
        }
        let discarded = try AtomicFile(path: path)
        try discarded.write([4, 5])
        discarded.discard()
        #expect(FileManager.default.contents(atPath: path) == Data("keep".utf8))
        #expect(try names(dir) == ["out.bin"])
    }

    @Test func aMissingFolderIsOneErrorNamingTheOutput() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("no/such/folder/out.bin")
        let error = #expect(throws: OutputFileError.self) { try AtomicFile(path: path) }
        #expect(error?.path == path)
        #expect(error.map { $0.description.hasPrefix(path + ": cannot create ") && $0.description.contains("No such file or directory") } == true)
        #expect(try names(dir).isEmpty)
    }

}

@Suite struct CheckedSizesTests {
    @Test func shapesMultiplyOutOrAreRefused() {
        #expect(checkedElementCount([]) == 1)
        #expect(checkedElementCount([3, 0, 7]) == 0)
        #expect(checkedElementCount([2, 3, 4]) == 24)
        #expect(checkedElementCount([2, -3]) == nil)
        #expect(checkedElementCount([1 << 32, 1 << 32]) == nil, "wraps to 0 unchecked")
        #expect(checkedElementCount([Int.max, 1]) == Int.max)
    }
}
