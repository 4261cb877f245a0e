// Files of one report, replaced together through ZooStore's AtomicOutput (written as
// `<name>.partial`, fsynced, renamed, folder fsynced): every file is complete before any old file
// is replaced, so a failed or killed run leaves the old report as it was.
import Foundation
import ZooStore

/// The files of one report in `folder`.
public struct ReportFiles {
    public var folder: String
    public var names: [String]

    public init(folder: String, names: [String]) { self.folder = folder; self.names = names }

    /// Writes `contents[i]` to `names[i]`, all or none.
    public func write(_ contents: [Data]) throws {
        precondition(contents.count == names.count)
        let outputs = try names.map { try AtomicOutput(path: folder + "/" + $0, overwrite: true) }
        do {
            for (output, data) in zip(outputs, contents) { try data.withUnsafeBytes { try output.writePartial($0) } }
            for output in outputs { try output.commit() }
        } catch {
            for output in outputs { output.discard() }
            throw EvaluationError("\(folder): cannot write the report (\(error)); an old report, if any, is unchanged")
        }
    }

    /// Refuses to run into an existing report without `force`, before any work is done.
    public static func checkFolder(_ folder: String, force: Bool) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else { return }
        guard isFolder.boolValue else { throw EvaluationError("\(folder) exists and is not a folder; -o names the report folder") }
        for name in ["report.json", "report.html"] where FileManager.default.fileExists(atPath: folder + "/" + name) && !force {
            throw EvaluationError("\(folder)/\(name) already exists; pass --force to replace the report (the old one stays until the new one is complete)")
        }
    }

    /// Writes report.json and report.html of `report` into `folder` (created).
    public static func write(_ report: EvaluationReport, to folder: String) throws {
        let created = !FileManager.default.fileExists(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Both files are complete (as .partial) before either replaces an old report.
        do {
            try ReportFiles(folder: folder, names: ["report.json", "report.html"])
                .write([try report.jsonData(), Data(ReportHTML.render(report).utf8)])
        } catch {
            if created { rmdir(folder) }  // the folder this run made, now empty again
            throw error
        }
    }
}
