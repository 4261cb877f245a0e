import Foundation

/// The warning lines a stage wrote to its log (`hz-train: warning: …`), so the runner can show
/// them under the stage's "done" line. Stages print warnings to stderr, which the runner sends to
/// the log; without this they would be visible only to someone who opens the log.
enum StageWarnings {
    /// Only the log's last `tailBytes` are read, so a huge log costs a bounded read, and at most
    /// `limit` warnings are returned (with a count of the rest), so a stage that warns per epoch
    /// cannot flood the terminal.
    static func read(logPath: String, tailBytes: Int = 256 * 1024, limit: Int = 8) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: logPath) else { return [] }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return [] }
        let start = size > UInt64(tailBytes) ? size - UInt64(tailBytes) : 0
        guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd() else { return [] }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        let warnings = lines.filter { $0.contains(": warning: ") }
        var seen = Set<String>()
        let unique = warnings.filter { seen.insert($0).inserted }
        if unique.count <= limit { return unique }
        return Array(unique.prefix(limit)) + ["(\(unique.count - limit) more warnings in the log)"]
    }
}
