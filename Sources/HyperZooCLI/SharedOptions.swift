// The options several stages share, declared once: -o/--output with --force and --json, --threads,
// and --seed. Each means the same in every command that has it (its name, type, default and
// checks live here); only what it refers to differs (which file, which work runs in parallel,
// which random streams), so each command passes a help type that says so in its --help.
import ArgumentParser
import Nets

/// What a command's --force and --json refer to.
protocol OutputFlagsHelp {
    /// --force: what is replaced (never before the new output is complete).
    static var force: ArgumentHelp { get }
    /// --json: what is printed on stdout.
    static var json: ArgumentHelp { get }
}

/// What a command's -o/--output is, besides its --force and --json.
protocol OutputOptionsHelp: OutputFlagsHelp {
    static var output: ArgumentHelp { get }
}

/// `--force` and `--json`, for every command that writes an output. A command whose -o is not the
/// single required output path (a folder, an optional report) declares its own -o beside these.
struct OutputFlags<Help: OutputFlagsHelp>: ParsableArguments {
    @Flag(help: Help.force)
    var force = false

    @Flag(help: Help.json)
    var json = false

    init() {}
}

/// `-o/--output PATH` (required), `--force` and `--json`: the output of a command that writes one.
struct OutputOptions<Help: OutputOptionsHelp>: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: Help.output)
    var output: String

    @OptionGroup var flags: OutputFlags<Help>

    var force: Bool { flags.force }
    var json: Bool { flags.json }

    init() {}
}

/// What a command's --threads run in parallel.
protocol ThreadsHelp {
    static var threads: ArgumentHelp { get }
}

/// `--threads N`: worker threads, all cores by default. Results never depend on the count.
/// The default is a number (not an optional) so `--experimental-dump-help` shows an integer
/// default and the pipeline catalogue types the param as an integer.
struct ThreadOptions<Help: ThreadsHelp>: ParsableArguments {
    @Option(help: Help.threads)
    var threads: Int = defaultThreadCount()

    /// The threads to use.
    var count: Int { threads }

    init() {}

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }
}

/// Which random streams a command's --seed seeds.
protocol SeedHelp {
    static var seed: ArgumentHelp { get }
}

/// `--seed S`: the seed of a command's random streams (0 by default); the same inputs and seed
/// give the same output.
struct SeedOptions<Help: SeedHelp>: ParsableArguments {
    @Option(help: Help.seed)
    var seed: UInt64 = 0

    init() {}
}
