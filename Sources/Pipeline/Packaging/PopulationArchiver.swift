// Creating, verifying and extracting hyperzoo archives: manifest.json first, then every file in
// path order, all with fixed metadata, so the same inputs give a byte-identical archive.
import Archive
import Foundation
import Parallel

/// A file to archive: where it goes in the archive and where it is now.
public struct ArchiveInput: Sendable, Equatable {
    public var entryPath: String
    public var sourcePath: String
    public init(entryPath: String, sourcePath: String) {
        self.entryPath = entryPath
        self.sourcePath = sourcePath
    }

    /// Expands a file (kept under its own name) or a folder (its files under `<folder name>/...`,
    /// recursively, links refused) into archive inputs.
    public static func expand(_ path: String, as name: String? = nil) throws -> [ArchiveInput] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ArchiveError(path: path, message: "no such file or folder")
        }
        let base = name ?? URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
        if !isDirectory.boolValue { return [ArchiveInput(entryPath: base, sourcePath: path)] }
        var inputs: [ArchiveInput] = []
        for child in try FileManager.default.contentsOfDirectory(atPath: path).sorted() {
            let childPath = (path as NSString).appendingPathComponent(child)
            let attributes = try FileManager.default.attributesOfItem(atPath: childPath)
            if attributes[.type] as? FileAttributeType == .typeSymbolicLink {
                throw ArchiveError(path: childPath, message: "symbolic links are not archived; copy the file instead")
            }
            inputs += try expand(childPath, as: base + "/" + child)
        }
        return inputs
    }
}

/// What `verify` found.
public struct ArchiveVerification: Sendable {
    public var manifest: ArchiveManifest
    public var problems: [String]
    public var isValid: Bool { problems.isEmpty }
}

/// Creates, verifies and extracts archives with manifests.
public enum PopulationArchiver {
    /// Hashes the inputs (in parallel over `threads`), writes manifest.json and the files.
    /// `progress(done, total)` counts steps: each file hashed, then each file written (from any thread).
    /// - Returns: the manifest written.
    @discardableResult
    public static func create(archive: String, format: ArchiveFormat, inputs: [ArchiveInput],
                              manifest makeManifest: ([ArchiveManifest.FileRecord]) -> ArchiveManifest,
                              compressionLevel: Int? = nil, threads: Int = 1,
                              progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> ArchiveManifest {
        let sorted = inputs.sorted { $0.entryPath.utf8.lexicographicallyPrecedes($1.entryPath.utf8) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.entryPath == b.entryPath {
            throw ArchiveError(path: archive, entry: a.entryPath, message: "two inputs would be archived under the same name (\(a.sourcePath), \(b.sourcePath))")
        }
        if let clash = sorted.first(where: { $0.entryPath == ArchiveManifest.entryName }) {
            throw ArchiveError(path: clash.sourcePath, message: "'manifest.json' is reserved for the archive's manifest; rename the file")
        }
        let before = try sorted.map { try modification($0.sourcePath) }
        let records = try hash(sorted, threads: threads) { progress?($0, 2 * sorted.count) }
        let manifest = makeManifest(records)
        let writer = try ArchiveWriter(path: archive, format: format, compressionLevel: compressionLevel, threads: threads)
        try writer.addData(manifest.bytes, as: ArchiveManifest.entryName)
        for (index, (input, record)) in zip(sorted, records).enumerated() {
            // Hashed once above; a file rewritten since then (new size or mtime) is refused.
            let written = try writer.addFile(at: input.sourcePath, as: input.entryPath, computeDigest: false)
            let after = try modification(input.sourcePath)
            if written.size != record.size || after != before[index] {
                throw ArchiveError(path: input.sourcePath, message: "changed while being archived; try again once nothing writes to it")
            }
            progress?(sorted.count + index + 1, 2 * sorted.count)
        }
        try writer.finish()
        return manifest
    }

    /// Size and modification time, to notice a file rewritten while it is archived.
    static func modification(_ path: String) throws -> [Int64] {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return [(attributes[.size] as? NSNumber)?.int64Value ?? -1, Int64(date * 1e9)]
    }

    /// SHA-256 and size of each input, `threads` files at a time.
    static func hash(_ inputs: [ArchiveInput], threads: Int,
                     hashed: (@Sendable (Int) -> Void)? = nil) throws -> [ArchiveManifest.FileRecord] {
        let done = WorkCounter()
        return try concurrentMap(count: inputs.count, threads: max(1, threads)) { i, _ in
            defer { hashed?(done.add(1)) }
            let (digest, size) = try SHA256.hex(ofFileAt: inputs[i].sourcePath)
            return ArchiveManifest.FileRecord(path: inputs[i].entryPath, size: size, sha256: digest)
        }
    }

    /// Reads every entry, checking the manifest against the schema and every file against its
    /// size and SHA-256; reports missing, unexpected and mismatching entries. `progress(done,
    /// total)` counts the entries read against the manifest's files.
    public static func verify(archive: String, progress: ((Int, Int) -> Void)? = nil) throws -> ArchiveVerification {
        guard let manifest = try ArchiveManifest.read(archive: archive) else {
            throw ArchiveError(path: archive, message: "no manifest.json as first entry; not a hyperzoo archive (hz-archive create makes one)")
        }
        var expected = Dictionary(uniqueKeysWithValues: manifest.files.map { ($0.path, $0) })
        var problems: [String] = []
        let reader = try ArchiveReader(path: archive)
        _ = try reader.nextEntry()  // the manifest
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var entries = 0
        while let entry = try reader.nextEntry() {
            entries += 1
            progress?(min(entries, manifest.files.count), manifest.files.count)
            guard let record = expected.removeValue(forKey: entry.path) else {
                problems.append("\(entry.path): in the archive but not in the manifest")
                continue
            }
            guard entry.kind == .file else { problems.append("\(entry.path): not a regular file"); continue }
            var digest = SHA256()
            var size: Int64 = 0
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                size += Int64(n)
                if size > record.size { break }
                buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
            if size != record.size {
                problems.append("\(entry.path): size \(size > record.size ? "exceeds" : "is") \(size), manifest says \(record.size)")
            } else if SHA256.hexString(digest.finalize()) != record.sha256 {
                problems.append("\(entry.path): SHA-256 differs from the manifest (corrupted or altered)")
            }
        }
        for missing in expected.keys.sorted() { problems.append("\(missing): listed in the manifest but missing from the archive") }
        return ArchiveVerification(manifest: manifest, problems: problems)
    }

    /// Extracts safely into the new folder `destination`; with a manifest, every file must match
    /// its size (enforced while streaming) and SHA-256, and no file may be missing or extra.
    /// Nothing is left at `destination` unless all checks pass. `progress(done, total)` counts
    /// the entries begun against the manifest's files (total nil without a manifest).
    @discardableResult
    public static func extract(archive: String, to destination: String, limits: ExtractionLimits = ExtractionLimits(),
                               requireManifest: Bool = true,
                               progress: ((Int, Int?) -> Void)? = nil) throws -> (manifest: ArchiveManifest?, files: [ExtractedFile]) {
        let manifest = try ArchiveManifest.read(archive: archive)
        if manifest == nil && requireManifest {
            throw ArchiveError(path: archive, message: "no manifest.json as first entry; pass --no-manifest to extract a foreign archive with only the safety checks")
        }
        let records = Dictionary(uniqueKeysWithValues: (manifest?.files ?? []).map { ($0.path, $0) })
        var begun = 0  // SafeExtractor asks for each entry's declared size as it starts the entry
        let files = try SafeExtractor.extract(
            archive: archive, to: destination, limits: limits,
            declaredSize: { path in
                if path != ArchiveManifest.entryName {
                    begun += 1
                    progress?(manifest.map { min(begun, $0.files.count) } ?? begun, manifest?.files.count)
                }
                return path == ArchiveManifest.entryName ? 64 << 20 : records[path]?.size ?? (manifest == nil ? nil : -1)
            },
            check: { files, _ in
                guard manifest != nil else { return }
                var remaining = records
                for file in files where file.path != ArchiveManifest.entryName {
                    guard let record = remaining.removeValue(forKey: file.path) else {
                        throw ArchiveError(path: archive, entry: file.path, message: "not listed in the manifest")
                    }
                    if record.size != file.size || record.sha256 != file.sha256 {
                        throw ArchiveError(path: archive, entry: file.path, message: "SHA-256 or size differs from the manifest (corrupted or altered)")
                    }
                }
                if let missing = remaining.keys.sorted().first {
                    throw ArchiveError(path: archive, entry: missing, message: "listed in the manifest but missing from the archive")
                }
            })
        return (manifest, files)
    }
}
