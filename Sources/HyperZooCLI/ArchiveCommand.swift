// `hz-archive` / `hyperzoo archive`: pack a population (or any stage output) into one deterministic
// archive with a checksummed manifest, list it, verify it, extract it safely.
import Archive
import ArgumentParser
import Foundation

/// The archive stage.
public struct ArchiveCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: StageRegistry.commandName("archive"),
        abstract: "Pack populations and stage outputs into deterministic, checksummed archives.",
        discussion: """
        An archive holds manifest.json first (every file's size and SHA-256, the pipeline spec and lock
        that produced it, the evaluation summary), then the files in path order. Metadata is fixed
        (mtime 0, uid/gid 0, mode 0644), so the same inputs give a byte-identical archive.

          hz-archive create -o pop.tar.zst --population population.h5 --report report.json
          hz-archive verify pop.tar.zst
          hz-archive extract pop.tar.zst -o pop/
        """,
        version: HyperZooVersion.string,
        subcommands: [Create.self, List.self, Verify.self, Extract.self]
    )

    public init() {}
}

extension ArchiveEntryKind {
    var name: String {
        switch self {
        case .file: return "file"
        case .directory: return "directory"
        case .symlink: return "symlink"
        case .hardlink: return "hardlink"
        case .other: return "other"
        }
    }
    var suffix: String {
        switch self {
        case .directory: return "/"
        case .symlink(let target): return " -> \(target)"
        case .hardlink(let target): return " => \(target)"
        default: return ""
        }
    }
}

/// Byte counts for people: "12.3 MB"; and sizes from people: "500M", "64G".
enum ByteCountText {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// A size typed by a person, or nil when it is not a non-negative count that fits in 64 bits
    /// (`9999999999G` is nil, not an overflow trap).
    static func parse(_ text: String) -> Int64? {
        let multipliers: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        guard let last = text.uppercased().last else { return nil }
        let multiplier = multipliers[last] ?? 1
        guard let count = Int64(multipliers[last] == nil ? Substring(text) : text.dropLast()), count >= 0 else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }
}

/// One line on stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
