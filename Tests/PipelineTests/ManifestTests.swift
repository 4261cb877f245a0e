// Archives with manifests: created deterministically, verified, and refused when a checksum,
// size or the manifest itself is wrong.
import Archive
import Foundation
import Pipeline
import Testing
import TestSupport
import ZooStore

func makeFiles(_ dir: TemporaryDirectory) throws -> [ArchiveInput] {
    let folder = dir.url.appendingPathComponent("population")
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("models"), withIntermediateDirectories: true)
    try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: folder.appendingPathComponent("models/m0.bin"))
    try Data("{\"acc\": 0.9}\n".utf8).write(to: folder.appendingPathComponent("report.json"))
    return try ArchiveInput.expand(folder.path)
}

@Suite struct ManifestTests {
    @Test func createVerifyExtract() throws {
        let dir = TemporaryDirectory()
        let inputs = try makeFiles(dir)
        #expect(inputs.map(\.entryPath) == ["population/models/m0.bin", "population/report.json"])
        let spec: JSONValue = ["pipeline": "demo", "stages": []]
        func make(_ path: String, threads: Int) throws -> ArchiveManifest {
            try PopulationArchiver.create(archive: path, format: .tarZstd, inputs: inputs.reversed(), manifest: {
                ArchiveManifest(createdBy: "hyperzoo test", name: "demo", files: $0, pipelineSpec: spec, evaluation: ["acc": 0.9])
            }, threads: threads)
        }
        // Byte-identical whatever the thread count.
        let manifest = try make(dir.path("a.tar.zst"), threads: 2)
        _ = try make(dir.path("b.tar.zst"), threads: 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("a.tar.zst"))) == Data(contentsOf: URL(fileURLWithPath: dir.path("b.tar.zst"))))
        #expect(try ArchiveReader.list(path: dir.path("a.tar.zst")).map(\.path) == ["manifest.json", "population/models/m0.bin", "population/report.json"])
        // The manifest validates against the schema and round-trips.
        let read = try #require(try ArchiveManifest.read(archive: dir.path("a.tar.zst")))
        #expect(read == manifest)
        #expect(try ArchiveManifest.validator().validate(manifest.json).isEmpty)
        #expect(try PopulationArchiver.verify(archive: dir.path("a.tar.zst")).isValid)
        let (_, files) = try PopulationArchiver.extract(archive: dir.path("a.tar.zst"), to: dir.path("out"))
        #expect(files.count == 3)
        #expect(FileManager.default.contentsEqual(atPath: dir.path("out/population/models/m0.bin"), andPath: dir.path("population/models/m0.bin")))
    }

    /// An archive whose manifest lies about one file (as a corrupted or altered archive would).
    func tamperedArchive(_ dir: TemporaryDirectory, size: Int64? = nil, digest: String? = nil) throws -> String {
        let path = dir.path("bad-\(UUID().uuidString.prefix(4)).tar.gz")
        let payload = [UInt8](repeating: 42, count: 3000)
        let manifest = ArchiveManifest(createdBy: "test", files: [
            .init(path: "w.bin", size: size ?? 3000, sha256: digest ?? SHA256.hex(of: payload)),
        ])
        let writer = try ArchiveWriter(path: path, format: .tarGzip)
        try writer.addData(manifest.bytes, as: "manifest.json")
        try writer.addData(payload, as: "w.bin")
        try writer.finish()
        return path
    }

    @Test func badChecksumIsReportedAndNotExtracted() throws {
        let dir = TemporaryDirectory()
        let bad = try tamperedArchive(dir, digest: String(repeating: "0", count: 64))
        let result = try PopulationArchiver.verify(archive: bad)
        #expect(result.problems == ["w.bin: SHA-256 differs from the manifest (corrupted or altered)"])
        #expect { try PopulationArchiver.extract(archive: bad, to: dir.path("out")) } throws: {
            "\($0)" == "\(bad):w.bin: SHA-256 or size differs from the manifest (corrupted or altered)"
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }

    @Test func entryLargerThanTheManifestSaysIsRefusedWhileStreaming() throws {
        let dir = TemporaryDirectory()
        let bad = try tamperedArchive(dir, size: 100)
        #expect(try PopulationArchiver.verify(archive: bad).problems == ["w.bin: size exceeds 1048576, manifest says 100"] ||
                (try PopulationArchiver.verify(archive: bad).problems.first ?? "").hasPrefix("w.bin: size exceeds"))
        #expect { try PopulationArchiver.extract(archive: bad, to: dir.path("out")) } throws: {
            "\($0)".contains("larger than its declared 100 bytes")
        }
    }

    // 15.13: an entry the manifest does not list is named as such (it was reported as "larger
    // than its declared 0 bytes"), by verify and by extract, and nothing is extracted.
    @Test func anEntryMissingFromTheManifestIsNamedAsSuch() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("extra.tar.gz")
        let payload = [UInt8](repeating: 42, count: 3000)
        let manifest = ArchiveManifest(createdBy: "test", files: [.init(path: "w.bin", size: 3000, sha256: SHA256.hex(of: payload))])
        let writer = try ArchiveWriter(path: path, format: .tarGzip)
        try writer.addData(manifest.bytes, as: "manifest.json")
        try writer.addData(payload, as: "w.bin")
        try writer.addData(Array("smuggled\n".utf8), as: "extra.txt")
        try writer.finish()
        #expect(try PopulationArchiver.verify(archive: path).problems == ["extra.txt: in the archive but not in the manifest"])
        #expect { try PopulationArchiver.extract(archive: path, to: dir.path("out")) } throws: {
            let text = "\($0)"
            return text.hasPrefix("\(path):extra.txt:") && text.contains("not listed in the archive's manifest") && !text.contains("declared")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }

    @Test func invalidManifestIsRejectedWithItsPath() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("x.tar")
        let writer = try ArchiveWriter(path: path, format: .tar)
        try writer.addData(Array(#"{"format": "hyperzoo.archive", "format_version": 1, "created_by": "t", "files": [{"path": "a", "size": -1, "sha256": "xyz"}]}"#.utf8), as: "manifest.json")
        try writer.finish()
        #expect { _ = try ArchiveManifest.read(archive: path) } throws: { error in
            let text = "\(error)"
            return text.contains("files[0].size: expected ≥ 0, found -1") && text.contains("files[0].sha256: \"xyz\" does not match the pattern")
        }
    }

    @Test func foreignArchiveNeedsNoManifestFlag() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("plain.zip")
        try ArchiveWriter.write(files: try makeFiles(dir).map { ($0.entryPath, $0.sourcePath) }, to: path, format: .zip)
        #expect { try PopulationArchiver.extract(archive: path, to: dir.path("out")) } throws: { "\($0)".contains("--no-manifest") }
        let (manifest, files) = try PopulationArchiver.extract(archive: path, to: dir.path("out"), requireManifest: false)
        #expect(manifest == nil && files.count == 2)
    }
}
