// What each operator accepts, asked from the stage executable itself:
// `hz-<op> [sub] --experimental-dump-help` prints swift-argument-parser's JSON description of every
// argument (kind, names, value name, default, allowed values, optional, repeating). The runner
// therefore never keeps a second copy of the stage CLIs: a new option is usable in specs as soon
// as the stage lands, and an unknown param is caught before anything runs. Types come from the
// same description: flags are booleans, options with allowed values are choices, an integer or
// decimal default makes an integer or number option; other options accept strings and numbers.
import Archive
import Foundation
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// The value an option takes.
public enum OptionValueType: Equatable, Sendable {
    case boolean
    case integer
    case number
    case choice([String])
    /// A string (or a number written on the command line as is).
    case text
}

/// One argument of a stage executable.
public struct OperatorArgument: Equatable, Sendable {
    public enum Kind: String, Sendable { case flag, option, positional }
    public var name: String
    public var kind: Kind
    public var valueType: OptionValueType
    public var isOptional: Bool
    public var isRepeating: Bool
    /// For flags with an inversion (`--x/--no-x`).
    public var inversion: String? = nil
    /// The default as --help shows it (nil when none), for checks across stages.
    public var defaultValue: String? = nil
}

/// An operator: its executable, subcommands, and arguments.
public struct OperatorDescription: Sendable {
    public var operatorName: String
    public var executable: String
    public var subcommands: [String]
    /// Options and flags by long name.
    public var options: [String: OperatorArgument]
    /// Positional arguments in order (spec keys are their value names).
    public var positionals: [OperatorArgument]
    /// SHA-256 of the argument description and version: part of every cache key, so a changed CLI
    /// invalidates cached results.
    public var toolDigest: String

    /// The argument a spec key names (an option's long name or a positional's value name).
    public func argument(named key: String) -> OperatorArgument? {
        options[key] ?? positionals.first { $0.name == key }
    }

    /// All names a spec may use, sorted (for messages).
    public var knownNames: [String] { (Array(options.keys) + positionals.map(\.name)).sorted() }
}

/// Finds stage executables and asks them for their arguments (once per operator).
// unchecked because: the one mutable field, `cache`, is read and written only while holding `lock`.
public final class OperatorCatalog: @unchecked Sendable {
    public let searchPaths: [String]
    private var cache: [String: Result<OperatorDescription, SpecError>] = [:]
    private let lock = NSLock()

    public init(searchPaths: [String]) {
        self.searchPaths = searchPaths
    }

    /// `$HYPERZOO_TOOLS` (colon-separated), the folder of the running executable, then `$PATH`.
    public static func defaultSearchPaths() -> [String] {
        let environment = ProcessInfo.processInfo.environment
        var paths = (environment["HYPERZOO_TOOLS"] ?? "").split(separator: ":").map(String.init)
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            paths.append(URL(fileURLWithPath: me).deletingLastPathComponent().path)
        }
        paths += (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        return paths
    }

    /// The executable for `hz-<name>`, or nil.
    public func locate(_ executableName: String) -> String? {
        for folder in searchPaths {
            let candidate = (folder as NSString).appendingPathComponent(executableName)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Describes `operatorName` ("zoo", "archive.create"); errors are one sentence, cached.
    public func describe(_ operatorName: String) -> Result<OperatorDescription, SpecError> {
        lock.lock()
        if let known = cache[operatorName] { lock.unlock(); return known }
        lock.unlock()
        let result = Result { try load(operatorName) }.mapError { error -> SpecError in
            (error as? SpecError) ?? SpecError(file: "", path: "", message: "\(error)")
        }
        lock.lock(); cache[operatorName] = result; lock.unlock()
        return result
    }

    private func load(_ operatorName: String) throws -> OperatorDescription {
        let parts = operatorName.split(separator: ".").map(String.init)
        let executableName = "hz-" + parts[0]
        guard let executable = locate(executableName) else {
            throw SpecError(file: "", path: "", message: "operator '\(operatorName)': no executable \(executableName) beside hz-pipeline or on PATH (build with `swift build`, or add its folder to PATH)")
        }
        let subcommands = Array(parts.dropFirst())
        let (status, output) = try describeCached(executable, subcommands)
        guard status == 0, let dump = try? JSONValue.parse(output, source: executableName), var command = dump["command"] else {
            let hint = subcommands.isEmpty
                ? "is \(executable) a hyperzoo stage of this version (rebuild with `swift build`)?"
                : "is '\(subcommands.joined(separator: " "))' one of its subcommands?"
            throw SpecError(file: "", path: "", message: "operator '\(operatorName)': `\(executableName) \((subcommands + ["--experimental-dump-help"]).joined(separator: " "))` failed (exit \(status)); \(hint)")
        }
        // A command with a default subcommand ("hz-train" runs "hz-train fit") takes that one's arguments.
        if subcommands.isEmpty, let defaultName = command["defaultSubcommand"]?.stringValue,
           let chosen = command["subcommands"]?.arrayValue?.first(where: { $0["commandName"]?.stringValue == defaultName }) {
            command = chosen
        }
        if !subcommands.isEmpty, command["commandName"]?.stringValue != subcommands.last {
            throw SpecError(file: "", path: "", message: "operator '\(operatorName)': \(executableName) has no subcommand '\(subcommands.joined(separator: " "))'")
        }
        var options: [String: OperatorArgument] = [:]
        var positionals: [OperatorArgument] = []
        for argument in command["arguments"]?.arrayValue ?? [] {
            let kindText = argument["kind"]?.stringValue ?? ""
            let longNames = (argument["names"]?.arrayValue ?? []).filter { $0["kind"]?.stringValue == "long" }.compactMap { $0["name"]?.stringValue }
            let isOptional = argument["isOptional"]?.boolValue ?? true
            let isRepeating = argument["isRepeating"]?.boolValue ?? false
            switch kindText {
            case "positional":
                let name = argument["valueName"]?.stringValue ?? "argument"
                positionals.append(OperatorArgument(name: name, kind: .positional, valueType: Self.valueType(argument),
                                                    isOptional: isOptional, isRepeating: isRepeating))
            case "flag":
                guard let name = longNames.first(where: { !$0.hasPrefix("no-") }) ?? longNames.first else { continue }
                if ["help", "version", "experimental-dump-help"].contains(name) { continue }
                options[name] = OperatorArgument(name: name, kind: .flag, valueType: .boolean, isOptional: true,
                                                 isRepeating: isRepeating, inversion: longNames.first { $0 == "no-" + name })
            case "option":
                guard let name = longNames.first else { continue }
                options[name] = OperatorArgument(name: name, kind: .option, valueType: Self.valueType(argument),
                                                 isOptional: isOptional, isRepeating: isRepeating,
                                                 defaultValue: argument["defaultValue"]?.stringValue)
            default: continue
            }
        }
        var digest = SHA256()
        digest.update(Array(command.canonical.utf8))
        return OperatorDescription(operatorName: operatorName, executable: executable, subcommands: subcommands,
                                   options: options, positionals: positionals, toolDigest: SHA256.hexString(digest.finalize()))
    }

    private static func valueType(_ argument: JSONValue) -> OptionValueType {
        if let values = argument["allValueStrings"]?.arrayValue ?? argument["allValues"]?.arrayValue, !values.isEmpty {
            return .choice(values.compactMap(\.stringValue))
        }
        if let text = argument["defaultValue"]?.stringValue {
            if Int(text) != nil { return .integer }
            if Double(text) != nil { return .number }
        }
        return .text
    }

    /// `--experimental-dump-help` output, remembered per executable (path, size, mtime) in
    /// `$XDG_CACHE_HOME/hyperzoo/operators` (or ~/.cache), so a fully cached pipeline run starts no
    /// process at all. A rebuilt executable has a new mtime and is asked again.
    private func describeCached(_ executable: String, _ subcommands: [String]) throws -> (Int32, Data) {
        let environment = ProcessInfo.processInfo.environment
        let cacheRoot = environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
        var info = stat()
        guard stat(executable, &info) == 0 else { return try Self.capture(executable, subcommands + ["--experimental-dump-help"]) }
        let identity = "\(executable)|\(subcommands.joined(separator: " "))|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        let cacheFile = cacheRoot + "/hyperzoo/operators/" + SHA256.hex(of: Array(identity.utf8)) + ".json"
        if let cached = FileManager.default.contents(atPath: cacheFile) { return (0, cached) }
        let (status, output) = try Self.capture(executable, subcommands + ["--experimental-dump-help"])
        if status == 0 { try? writeFileAtomically(String(decoding: output, as: UTF8.self), to: cacheFile) }
        return (status, output)
    }

    /// Runs a short command and returns its exit status and stdout.
    static func capture(_ executable: String, _ arguments: [String]) throws -> (Int32, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        // ETXTBSY: an executable written a moment ago can still be open for writing in a child
        // another thread just forked; it clears as soon as that child execs. Retry briefly.
        var attempt = 0
        while true {
            do {
                try process.run()
                break
            } catch {
                attempt += 1
                let busy = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ETXTBSY)
                if !busy || attempt >= 20 { throw error }
                usleep(50_000)
            }
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }
}
