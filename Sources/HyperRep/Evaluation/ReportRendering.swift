// hz-eval --render-only: report.html drawn again from an existing report (no fine-tuning), e.g.
// after the renderer changed. Written like every report file: complete before it replaces one.
import Foundation
import ZooStore

extension ReportFiles {
    /// Writes `folder`/report.html for `report` (the folder is created) and returns its path.
    /// - Throws: ``EvaluationError`` when report.html exists and `force` is false, or it cannot be written.
    public static func renderHTML(_ report: EvaluationReport, into folder: String, force: Bool) throws -> String {
        let path = folder + "/report.html"
        if !force && FileManager.default.fileExists(atPath: path) {
            throw EvaluationError("\(path) already exists; pass --force to replace it")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ReportFiles(folder: folder, names: ["report.html"]).write([Data(ReportHTML.render(report).utf8)])
        return path
    }
}
