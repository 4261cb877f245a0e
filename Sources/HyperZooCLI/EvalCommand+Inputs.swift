// hz-eval's reads of earlier outputs: a report.json to re-render and hz-train probe's report,
// each a regular file of bounded size, with the error naming the option and the file.
import ArgumentParser
import FileIO
import Foundation
import Formats
import HyperRep

extension EvalCommand {
    /// The report.json at `path` (--render-only).
    static func readReport(_ path: String) throws -> EvaluationReport {
        let bytes: [UInt8]
        do { bytes = try readRegularFile(atPath: path, limit: 1 << 28) } catch let error as InputFileError {
            throw ValidationError("\(path): cannot read the report: \(error.reason)")
        }
        return try EvaluationReport.decode(Data(bytes))
    }

    /// The `hz-train probe` report at `path`: a regular file of bounded size in that format.
    static func readProbeReport(_ path: String) throws -> ProbeReport {
        let file = try RandomAccessFile(path: path)
        guard file.size <= ProbeReport.maximumFileBytes else {
            throw ValidationError("--probe \(path): \(file.size) bytes, more than a probe report's limit of \(ProbeReport.maximumFileBytes); pass the report of hz-train probe -o")
        }
        return try ProbeReport.decode(Data(try file.read(count: file.size, at: 0)), name: "--probe \(path)")
    }
}
