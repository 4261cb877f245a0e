import Archive
import Foundation
import Testing
import TestSupport

/// Writes a few files (one of 300 kB, several read chunks when `chunkBytes` is 64 KiB) into `dir/src`.
func makeSourceFiles(_ dir: TemporaryDirectory) throws -> [(entryPath: String, sourcePath: String)] {
    let src = dir.url.appendingPathComponent("src")
    try FileManager.default.createDirectory(at: src.appendingPathComponent("models"), withIntermediateDirectories: true)
    let contents: [(String, [UInt8])] = [
        ("b.json", Array("{\"b\": 1}\n".utf8)),
        ("models/m1.bin", (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }),
        ("a.txt", Array("hello\n".utf8)),
        ("empty.dat", []),
    ]
    var files: [(String, String)] = []
    for (name, bytes) in contents {
        let path = src.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        files.append((name, path))
    }
    return files
}

@Suite struct ArchiveRoundTripTests {
    @Test(arguments: ArchiveFormat.allCases)
    func deterministicAndReadable(format: ArchiveFormat) throws {
        let dir = TemporaryDirectory()
        let files = try makeSourceFiles(dir)
        let first = dir.path("one.\(format.rawValue)")
        let second = dir.path("two.\(format.rawValue)")
        try ArchiveWriter.write(files: files, to: first, format: format, chunkBytes: 65536)
        // Touch the sources (new mtimes) and add in another order: the bytes must not change.
        for file in files {
            try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file.sourcePath)
        }
        try ArchiveWriter.write(files: files.reversed(), to: second, format: format, chunkBytes: 100_000)
        let a = try Data(contentsOf: URL(fileURLWithPath: first)), b = try Data(contentsOf: URL(fileURLWithPath: second))
        #expect(a == b, "two writes of the same files differ for \(format)")

        let listed = try ArchiveReader.list(path: first)
        #expect(listed.map(\.path) == ["a.txt", "b.json", "empty.dat", "models/m1.bin"])
        #expect(listed.allSatisfy { $0.kind == .file })

        let out = dir.path("out")
        let extracted = try SafeExtractor.extract(archive: first, to: out)
        #expect(extracted.map(\.path) == ["a.txt", "b.json", "empty.dat", "models/m1.bin"])
        for file in files {
            let original = try Data(contentsOf: URL(fileURLWithPath: file.sourcePath))
            let copy = try Data(contentsOf: URL(fileURLWithPath: out + "/" + file.entryPath))
            #expect(original == copy, "\(file.entryPath) changed in a \(format) round trip")
            #expect(extracted.first { $0.path == file.entryPath }?.sha256 == SHA256.hex(of: original))
        }
        // No staging folder is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
    }

    @Test func tarZstdIsReadableBySystemTar() throws {
        let dir = TemporaryDirectory()
        let archive = dir.path("x.tar.zst")
        try ArchiveWriter.write(files: try makeSourceFiles(dir), to: archive, format: .tarZstd)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        process.arguments = ["--zstd", "-tvf", archive]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let listing = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(listing.contains("-rw-r--r-- 0/0"))
        #expect(listing.contains("1970-01-01"))
    }

    @Test func writerRefusesUnsafeAndDuplicatePaths() throws {
        let dir = TemporaryDirectory()
        let writer = try ArchiveWriter(path: dir.path("x.tar.zst"), format: .tarZstd)
        #expect(throws: ArchiveError.self) { try writer.addData([1], as: "../x") }
        #expect(throws: ArchiveError.self) { try writer.addData([1], as: "/etc/x") }
        try writer.addData([1], as: "x")
        #expect(throws: ArchiveError.self) { try writer.addData([2], as: "x") }
    }

    @Test func unfinishedWriterLeavesNothing() throws {
        let dir = TemporaryDirectory()
        do {
            let writer = try ArchiveWriter(path: dir.path("x.tar.gz"), format: .tarGzip)
            try writer.addData([1, 2, 3], as: "x")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }
}
