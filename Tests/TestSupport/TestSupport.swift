// Shared test helpers: temporary folders, fixture paths, tolerance checks that report the
// largest difference and the first mismatches.
import Foundation

/// Paths to the repository and to the shared, PyTorch-written fixtures.
public enum Fixtures {
    /// The repository root (found from this file's location).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    /// The project's own committed fixtures.
    public static var project: URL { repositoryRoot.appendingPathComponent("fixtures") }
    /// `../shared/fixtures` beside the checkout, or `$HYPERZOO_SHARED_FIXTURES`; falls back to the
    /// copies committed under fixtures/shared.
    public static var shared: URL {
        if let env = ProcessInfo.processInfo.environment["HYPERZOO_SHARED_FIXTURES"] {
            return URL(fileURLWithPath: env)
        }
        return project.appendingPathComponent("shared")
    }
}

/// A fresh temporary folder, removed when the returned object is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public init(_ label: String = "hyperzoo-test") {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Compares two float arrays with a relative-or-absolute tolerance; returns nil when they agree,
/// else a message with the maximum difference and the first mismatching indices.
public func compareFloats(_ actual: [Float], _ expected: [Float], relative: Double = 1e-4,
                          absolute: Double = 1e-6, label: String = "values") -> String? {
    guard actual.count == expected.count else {
        return "\(label): \(actual.count) values, expected \(expected.count)"
    }
    var maxDiff = 0.0
    var bad: [Int] = []
    for i in 0..<actual.count {
        let a = Double(actual[i]), e = Double(expected[i])
        let d = abs(a - e)
        maxDiff = max(maxDiff, d)
        if !(d <= absolute + relative * abs(e)) { if bad.count < 5 { bad.append(i) } }
    }
    if bad.isEmpty { return nil }
    let first = bad.map { "[\($0)] \(actual[$0]) vs \(expected[$0])" }.joined(separator: ", ")
    return "\(label): max |diff| \(maxDiff); first mismatches: \(first)"
}

/// The first `byteCount` bytes of a gzip file (e.g. an IDX header plus a few images of the
/// Debian F-MNIST package), decompressed by the system's `gzip` so that only the prefix is read.
/// Throws when the file is shorter than asked.
public func gunzippedPrefix(of path: String, byteCount: Int) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "gzip -dc '\(path)' | head -c \(byteCount)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let bytes = [UInt8](pipe.fileHandleForReading.readDataToEndOfFile())
    process.waitUntilExit()
    guard bytes.count == byteCount else {
        throw TestSupportError("\(path): read \(bytes.count) bytes, expected \(byteCount)")
    }
    return bytes
}

/// A test-setup failure (missing or short fixture data), with a message naming the file.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
