// Every example command line that `--help` shows (every executable and every subcommand) and that
// README.md's code blocks show, checked against the real executables:
// - each one parses: its subcommands exist, every flag it uses exists for that command and gets a
//   value when it takes one, required arguments are there, and every fixtures/ or tools/ path it
//   names exists;
// - each one that can run on tiny inputs in seconds runs, as written, in a folder that holds tiny
//   inputs under the names the examples use (zoo.h5, ae.h5, kde30.h5, ...). Where it needs smaller
//   sizes than written (the tiny zoo has 8 training models), `plans` appends them; the last value
//   of an option wins. An example that is not run says why in `plans`.
// A new example without a plan, or a plan whose example is gone, fails the test.
import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct HelpExamplesTests {
    /// The executables whose `--help` trees are searched (each with all its subcommands).
    static let executables = [
        "hyperzoo", "hz-convert", "hz-zoo", "hz-tokenize", "hz-augment", "hz-train",
        "hz-sample", "hz-eval", "hz-archive", "hz-pipeline",
    ]
    static var built: Bool { executables.allSatisfy(ToolRunner.isBuilt) }

    /// What the test does with one example.
    enum Plan {
        /// Run it; `extra` appends arguments to the segment of that command (tiny sizes).
        case run(extra: [String: [String]] = [:])
        /// Only check that it parses, for the reason given.
        case parseOnly(String)
    }

    static let tinyAE = ["--width", "8", "--heads", "2", "--blocks", "1", "--ff-width", "16", "--latent", "4",
                         "--head", "1,8,4", "--batch-size", "4"]
    static let tinyEval = ["--models", "4", "--bootstrap", "20", "--ensemble-sizes", "3", "--ensemble-trials", "2"]
    static let notDotted = "the full quickstart takes minutes: run with --dry-run, which checks the spec, --set keys and stage names; QuickstartTests runs it end to end with tiny --set values"

    /// Every example, by its text (one line, comments removed, single spaces).
    static let plans: [String: Plan] = [
        // hyperzoo
        "tools/quickstart": .parseOnly("the main job: installs packages, builds and runs the quickstart (minutes)"),
        "hyperzoo pipeline graph fixtures/pipelines/quickstart.json": .run(),
        "hyperzoo pipeline run fixtures/pipelines/quickstart.json --dry-run": .run(),
        "hyperzoo pipeline run fixtures/pipelines/quickstart.json --set train.epochs=100": .run(extra: ["hyperzoo": ["--dry-run"]]),
        "hyperzoo archive verify runs/quickstart/archive/population.tar.zst": .run(),
        "hz-tokenize zoo.h5 | hz-augment - -o views.rs": .run(),
        "tools/install-completions bash": .parseOnly("writes into the user's shell configuration"),
        "hyperzoo --generate-completion-script bash": .run(),
        // hz-convert
        "hz-convert zoos/tune_zoo_fmnist_uniform -o zoo.h5 --epochs 0,25,50": .run(),
        "hz-convert model_a.pt model_b.pt -o small.h5 --json": .run(),
        "hz-convert zoo.h5 --to safetensors -o weights/": .run(),
        // hz-zoo
        "hz-zoo fixtures/zoo/fmnist-cnn-s-hyp.json -o hyp.h5 --models 1 --epochs 1":
            .parseOnly("256 models, each evaluated on 20,000 Fashion-MNIST val/test images; ZooCommandTests builds grids on tiny data"),
        "hz-zoo fixtures/zoo/fmnist-cnn-s.json -o paper.h5 --models 300 --epochs 25 --checkpoint-epochs 0,21-25":
            .parseOnly("the paper-regime zoo (about an hour); ZooCommandTests covers --checkpoint-epochs"),
        "hz-zoo fixtures/zoo/fmnist-cnn-s.json -o fmnist.h5 --models 20 --epochs 5":
            .parseOnly("evaluates every model on the full Fashion-MNIST val/test sets (about a minute even with --train-size); ZooCommandTests runs hz-zoo on tiny data"),
        "hz-zoo fixtures/zoo/fmnist-cnn-s.json -o shard-0.h5 --models 20 --epochs 5 --shard 0/2":
            .parseOnly("a shard of the full Fashion-MNIST zoo above (about a minute); ShardCommandTests trains real shards on tiny data"),
        "hz-zoo fixtures/zoo/fmnist-cnn-s.json -o shard-1.h5 --models 20 --epochs 5 --shard 1/2":
            .parseOnly("a shard of the full Fashion-MNIST zoo above (about a minute); ShardCommandTests trains real shards on tiny data"),
        "hyperzoo merge shard-0.h5 shard-1.h5 -o fmnist.h5":
            .parseOnly("needs the two shard files the lines above make; ShardCommandTests merges real shards and compares with the single run"),
        "hz-zoo fixtures/zoo/fmnist-cnn-s.json -o shards/zoo-$SLURM_ARRAY_TASK_ID.h5 --models 1000 --epochs 25 --checkpoint-epochs 0,21-25 --shard env --threads 2":
            .parseOnly("a Slurm array task of the 1,000-model zoo (hours); ShardCommandTests runs --shard env with SLURM_ARRAY_TASK_ID set"),
        "hz-zoo --help": .run(),
        // hz-tokenize, hz-augment
        "hz-tokenize zoo.h5 - --split train --checkpoint-epochs 21-25 | hz-augment - --views 2 --permute -o views.h5": .run(),
        "hz-tokenize zoo.h5 --tokenizer uniform --token-size 64 -o tokens.h5": .run(),
        "hz-tokenize zoo.h5 - | hz-augment - --views 2 --epochs 10 --permute --noise 0.05 --erase 0.5 -o views.h5": .run(),
        "hz-augment zoo.h5 --split train --permute --erase 0.5 --seed 7 -o views.h5": .run(),
        "hz-augment zoo.h5 --split train --epochs 50 --permute --erase 0.5 -o - | hz-train zoo.h5 --views - -o ae.h5 --epochs 50":
            .run(extra: ["hz-augment": ["--epochs", "2"], "hz-train": ["--epochs", "2"] + tinyAE]),
        // hz-train
        "hz-train zoo.h5 -o ae.h5 --epochs 50 --batch-size 64": .run(extra: ["hz-train": ["--epochs", "1"] + tinyAE]),
        "hz-train zoo.h5 -o ae.h5 --resume --epochs 100": .run(extra: ["hz-train": ["--epochs", "2"]]),
        "hz-train zoo.h5 -o ae.h5 --resume --epochs 80": .run(extra: ["hz-train": ["--epochs", "2"]]),
        "hz-train zoo.h5 -o ae.h5 --epochs 50 --width 128 --latent 64": .run(extra: ["hz-train": ["--epochs", "1"] + tinyAE]),
        "hz-train zoo.h5 -o ae-mse.h5 --no-layer-norm --gamma 0": .run(extra: ["hz-train": ["--epochs", "1"] + tinyAE]),
        "hz-train import-ghrp config_ae.json checkpoint_ae.pt -o ae.h5": .run(),
        "hz-train import-ghrp data/hyper_representations/mnist/config_ae.json data/hyper_representations/mnist/checkpoint_ae.pt -o mnist-ae.h5": .run(),
        "hz-train encode ae.h5 zoo.h5 -o z.npy --split test": .run(),
        "hz-train encode ae.h5 zoo.h5 -o z.npy --split test --epochs 25": .run(),
        "hz-train encode ae.h5 vectors.npy -o z.npy": .run(),
        "hz-train decode ae.h5 z.npy -o w.npy": .run(),
        "hz-train reconstruct ae.h5 zoo.h5 --split test --json": .run(),
        "hz-train probe ae.h5 zoo.h5 -o probe.json": .run(extra: ["hz-train": ["--mlp-epochs", "5", "--hidden", "8"]]),
        "hz-train probe ae.h5 zoo.h5 --epochs 1-10 --properties test_accuracy,epoch --json":
            .run(extra: ["hz-train": ["--epochs", "0-10", "--mlp-epochs", "5", "--hidden", "8"]]), // the tiny zoo keeps epochs 0 and 4
        "hz-train reconstruct ae.h5 zoo.h5 --split test --epochs 4 -o recon.json": .run(),
        "hz-train reconstruct ae.h5 zoo.h5 --split val --rows recon.npy --json": .run(),
        // hz-sample
        "hz-sample ae.h5 zoo.h5 --sampler kde --count 100 -o kde30.h5": .run(),
        "hz-sample ae.h5 zoo.h5 --sampler kde --paper-seeding --bandwidth 0.002 -o kde30-paper.h5": .run(),
        "hz-sample ae.h5 zoo.h5 --sampler uniform --uniform-range 1 --anchors all -o su.h5 --json": .run(),
        "hz-sample zoo.h5 --sampler noise-control --match-novelty kde30.h5 --count 100 -o noise-kde30.h5": .run(),
        "hz-sample zoo.h5 --sampler noise-control --match-novelty kde30.h5 --match-scale --count 100 -o scale-kde30.h5": .run(),
        // hz-eval
        "hz-eval kde30.h5 neigh30.h5 --zoo zoo.h5 --epochs 0,1,5 --models 20 --train-subset 10000 --transfer digits -o report/":
            .run(extra: ["hz-eval": tinyEval + ["--epochs", "0,1", "--transfer-train-subset", "100", "--transfer-test-subset", "100"]]),
        "hz-eval --help": .run(),
        "hz-eval population.h5 --zoo zoo.h5 --ensemble-sizes none --no-novelty --shard 0/2 -o part-0.json":
            .run(extra: ["hz-eval": ["--models", "4", "--bootstrap", "20", "--epochs", "0,1"]]),
        "hz-eval population.h5 --zoo zoo.h5 --ensemble-sizes none --no-novelty --shard 1/2 -o part-1.json":
            .run(extra: ["hz-eval": ["--models", "4", "--bootstrap", "20", "--epochs", "0,1"]]),
        "hyperzoo merge-eval part-0.json part-1.json -o report":
            .parseOnly("needs the two part files the lines above make; EvalShardTests merges real parts and compares with the single run"),
        "tools/render-report report/report.html": .parseOnly("needs headless Chromium, which the test machine does not install"),
        "hz-eval pop.h5 --zoo converted.h5 --show-recipe": .run(),
        "hz-eval pop.h5 --zoo digits-zoo.h5 --transfer fashion-mnist --transfer-train-subset 5000 -o reverse/":
            .parseOnly("fine-tunes on Fashion-MNIST (decompresses the full IDX set); EvalRecipeAndTransferTests covers --transfer fashion-mnist"),
        // hz-archive
        "hz-archive create -o pop.tar.zst --population population.h5 --report report.json": .run(),
        "hz-archive verify pop.tar.zst": .run(),
        "hz-archive extract pop.tar.zst -o pop/": .run(),
        "hz-archive create -o runs/q/population.tar.zst runs/q/sample/population.h5 --spec fixtures/pipelines/quickstart.json --lock runs/q/pipeline.lock.json --report runs/q/eval/report.json": .run(),
        "hz-archive list pop.tar.zst --json": .run(),
        // hz-pipeline
        "hz-pipeline run fixtures/pipelines/quickstart.json": .run(extra: ["hz-pipeline": ["--dry-run"]]),
        "hz-pipeline run spec.json --set train.epochs=5 --dry-run": .run(),
        "hz-pipeline graph spec.json": .run(),
        "hz-pipeline run fixtures/pipelines/quickstart.json --jobs 2": .run(extra: ["hz-pipeline": ["--dry-run"]]),
        "hz-pipeline run spec.json --force train --set train.lr=0.0005": .run(extra: ["hz-pipeline": ["--dry-run"]]),
        "hz-pipeline validate spec.json": .run(),
        "hz-pipeline status spec.json": .run(),
        "hz-pipeline run spec.json --executor slurm --partition cpu --time 4:00:00 --cpus-per-task 8 --shards zoo=8":
            .parseOnly("submits to a cluster's partition cpu; SlurmPipelineCLITests runs --executor slurm --shards on the local Slurm"),
        "hz-pipeline run spec.json --executor slurm --partition cpu --time 4:00:00 --shards zoo=50":
            .parseOnly("submits to a cluster's partition cpu; SlurmPipelineCLITests runs --executor slurm --shards on the local Slurm"),
        "hz-pipeline graph spec.json --dot | dot -Tsvg > dag.svg": .run(),
        "hz-pipeline schema > pipeline.schema.json": .run(),
        "hz-pipeline schema": .run(),
        // README.md
        "tools/test": .parseOnly("runs the whole test suite"),
        "hz-zoo fixtures/zoo/fmnist-cnn-s.json -o zoo.h5 --models 20 --epochs 5":
            .parseOnly("evaluates every model on the full Fashion-MNIST val/test sets; the tiny zoo.h5 of the other examples stands in for it"),
        "hz-augment zoo.h5 --split train --epochs 40 --permute --noise 0.05 --erase 0.5 -o views.h5": .run(extra: ["hz-augment": ["--epochs", "2"]]),
        "hz-train zoo.h5 --views views.h5 -o ae.h5 --epochs 40": .run(extra: ["hz-train": ["--epochs", "2"] + tinyAE]),
        "hz-sample ae.h5 zoo.h5 --sampler kde --count 20 -o population.h5": .run(),
        "hz-eval population.h5 --zoo zoo.h5 --epochs 0,1,5 -o report": .run(extra: ["hz-eval": tinyEval]),
        "hz-zoo fixtures/zoo/fmnist-cnn-s-hyp.json -o hyp.h5 --models 1":
            .parseOnly("256 models, each evaluated on 20,000 Fashion-MNIST val/test images; ZooCommandTests builds grids on tiny data"),
        "tools/zoo_to_numpy.py": .parseOnly("named in prose: a Python script for the reader's own h5py; ZooStoreTests.PythonInteropTests runs it against a zoo written here"),
        "hyperzoo --help": .run(),
        "tools/install-completions": .parseOnly("writes into the user's shell configuration"),
        "hz-convert path/to/model-zoos-folder -o imported.h5": .parseOnly("a placeholder path; the zoos/tune_zoo_fmnist_uniform example runs the same conversion"),
        "hz-convert zoo.h5 --to safetensors -o exported/": .run(),
        "hz-archive create -o population.tar.zst --population population.h5 --report report/report.json": .run(),
        "tools/check-archive-torch population.tar.zst": TinyWorld.pythonHasTorch ? .run()
            : .parseOnly("needs a Python with torch and safetensors (HYPERZOO_PYTHON), which this machine lacks"),
    ]

    // MARK: - The examples

    struct Example: CustomStringConvertible {
        let text: String
        let source: String
        var description: String { "\(source): \(text)" }
    }

    /// The examples of every executable's help tree, then README.md's, each once (the hyperzoo
    /// subcommands repeat the hz-* helps).
    static func allExamples() throws -> (examples: [Example], shapes: [String: CommandShape]) {
        var shapes: [String: CommandShape] = [:]
        var examples: [Example] = []
        var seen = Set<String>()
        func add(_ text: String, _ source: String) {
            if seen.insert(text).inserted { examples.append(Example(text: text, source: source)) }
        }
        for tool in executables {
            let dump = try ToolRunner.run(tool, ["--experimental-dump-help"])
            let shape = try JSONDecoder().decode(ToolShape.self, from: Data(dump.stdout.utf8)).command
            shapes[tool] = shape
            shape.walk(path: tool) { path, command in
                for text in ExampleText.helpExamples(command.discussion ?? "") { add(text, "\(path) --help") }
            }
        }
        let readme = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for text in ExampleText.readmeExamples(readme) { add(text, "README.md") }
        return (examples, shapes)
    }

    @Test(.enabled(if: built, "needs every hz-* executable built (swift build)"))
    func everyExampleHasAPlanAndParses() throws {
        let (examples, shapes) = try Self.allExamples()
        #expect(examples.count >= 50, "only \(examples.count) examples found: is the extraction broken?")
        for example in examples {
            #expect(Self.plans[example.text] != nil, "no plan for the example of \(example): add it to HelpExamplesTests.plans")
            for problem in ExampleCheck.problems(example.text, shapes: shapes) {
                Issue.record("\(example): \(problem)")
            }
        }
        let texts = Set(examples.map(\.text))
        for stale in Self.plans.keys where !texts.contains(stale) {
            Issue.record("HelpExamplesTests.plans lists an example no help or README shows: \(stale)")
        }
    }

    /// The checker itself catches what it is for (else the test above could not fail).
    @Test(.enabled(if: built, "needs every hz-* executable built (swift build)"))
    func theCheckerCatchesWrongExamples() throws {
        let (_, shapes) = try Self.allExamples()
        let wrong: [(String, String)] = [
            ("hz-train zoo.h5 -o ae.h5 --epoch 5", "no option --epoch"),
            ("hz-train fitt zoo.h5 -o ae.h5", "more positional arguments"),
            ("hz-archive pack pop.tar.zst", "no subcommand pack"),
            ("hz-sample zoo.h5 --sampler noise-control", "--output is required"),
            ("hz-train zoo.h5 -o", "-o needs a value"),
            ("hz-zoo fixtures/zoo/missing.json -o z.h5", "fixtures/zoo/missing.json does not exist"),
            ("tools/no-such-tool", "tools/no-such-tool does not exist"),
            ("hz-tokenize zoo.h5 - | hz-augment - --views", "--views needs a value"),
        ]
        for (text, expected) in wrong {
            let problems = ExampleCheck.problems(text, shapes: shapes)
            #expect(problems.contains { $0.contains(expected) }, "\(text): \(problems)")
        }
        #expect(ExampleCheck.problems("hz-train zoo.h5 -o ae.h5 --epochs=5 --no-permute", shapes: shapes).isEmpty)
        #expect(ExampleText.helpExamples("Example:\n  hz-a x \\\n      --b 1   # note\n  | hz-c -\nprose hz-d `hz-e f`")
                == ["hz-a x --b 1 | hz-c -", "hz-e f"])
    }

    @Test(.enabled(if: built, "needs every hz-* executable built (swift build)"))
    func everyRunnableExampleRuns() throws {
        let (examples, _) = try Self.allExamples()
        let world = try TinyWorld()
        // README's "By hand" lines are a chain (views.h5 → ae.h5 → population.h5 → report → archive):
        // they run one after another in one folder, as a reader would.
        let readme = try world.makePlace()
        for example in examples {
            guard case .run(let extra)? = Self.plans[example.text] else { continue }
            let started = Date()
            let result = try world.run(example.text, extra: extra, in: example.source == "README.md" ? readme : nil)
            #expect(result.status == 0, "\(example) exited \(result.status):\n\(result.output.suffix(1500))")
            let seconds = Date().timeIntervalSince(started)
            if seconds > 20 { Issue.record("\(example) took \(Int(seconds)) s: give it tiny sizes in plans") }
        }
    }
}

// MARK: - --experimental-dump-help

/// The part of ArgumentParser's `--experimental-dump-help` JSON the checks need.
struct ToolShape: Decodable { let command: CommandShape }

struct CommandShape: Decodable {
    struct Name: Decodable { let kind: String; let name: String }
    struct Argument: Decodable {
        let kind: String              // flag, option or positional
        let names: [Name]?
        let isOptional: Bool
        let isRepeating: Bool
        let valueName: String?
        func named(_ spelled: String) -> Bool {
            (names ?? []).contains { ($0.kind == "short" ? "-" : "--") + $0.name == spelled }
        }
    }
    let commandName: String
    let discussion: String?
    let arguments: [Argument]?
    let subcommands: [CommandShape]?
    let defaultSubcommand: String?

    func walk(path: String, _ visit: (String, CommandShape) -> Void) {
        visit(path, self)
        for sub in subcommands ?? [] where sub.commandName != "help" { sub.walk(path: "\(path) \(sub.commandName)", visit) }
    }
}

// MARK: - Finding examples in text

enum ExampleText {
    static func isCommand(_ text: Substring) -> Bool {
        text.hasPrefix("hz-") || text.hasPrefix("hyperzoo") || text.hasPrefix("tools/")
    }

    /// One line: continuation backslashes joined, a trailing `# comment` removed, single spaces.
    static func normalized(_ text: String) -> String {
        var line = text
        if let comment = line.range(of: " #") { line = String(line[..<comment.lowerBound]) }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// Examples in a help discussion: indented lines that start with a command (continued by a
    /// trailing backslash or by a next line starting with `|`), and `backticked commands` that
    /// have arguments or name a tool (a bare `hz-train` in prose is a name, not an example).
    static func helpExamples(_ discussion: String) -> [String] {
        var examples: [String] = []
        var pending = ""
        for raw in discussion.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.drop(while: { $0 == " " })
            let indented = raw.hasPrefix("  ")
            if !pending.isEmpty {
                pending += " " + line
            } else if indented, line.hasPrefix("| "), let last = examples.popLast() {
                pending = last + " " + line
            } else if indented, isCommand(line) {
                pending = String(line)
            } else {
                examples += backtickedCommands(line)
                continue
            }
            if pending.hasSuffix("\\") { pending.removeLast(); continue }
            examples.append(normalized(pending))
            pending = ""
        }
        if !pending.isEmpty { examples.append(normalized(pending)) }
        return examples
    }

    static func backtickedCommands(_ line: Substring) -> [String] {
        let parts = line.split(separator: "`", omittingEmptySubsequences: false)
        return stride(from: 1, to: parts.count - 1, by: 2).map { parts[$0] }
            .filter { isCommand($0) && !$0.contains("<") && ($0.contains(" ") || $0.hasPrefix("tools/")) }
            .map { normalized(String($0)) }
    }

    /// Examples in README.md: command lines of its code blocks (indented by four spaces, or fenced
    /// except Python), then backticked commands of its prose.
    static func readmeExamples(_ markdown: String) -> [String] {
        var examples: [String] = []
        var fence: String?
        var previousBlank = true
        var inIndentedBlock = false
        for raw in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if raw.hasPrefix("```") {
                fence = fence == nil ? String(raw.dropFirst(3)) : nil
                continue
            }
            if let fence {
                if fence != "python", isCommand(raw.drop(while: { $0 == " " })) { examples += helpExamples("  " + raw) }
                continue
            }
            inIndentedBlock = raw.hasPrefix("    ") && (previousBlank || inIndentedBlock)
            previousBlank = raw.trimmingCharacters(in: .whitespaces).isEmpty
            if inIndentedBlock { examples += helpExamples(String(raw)) } else { examples += backtickedCommands(raw[...]) }
        }
        return examples
    }
}

// MARK: - Does it parse?

enum ExampleCheck {
    /// Shell words of a command line (single and double quotes, no expansions).
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c; inWord = true
            } else if c == " " {
                if inWord { words.append(current) }
                current = ""; inWord = false
            } else {
                current.append(c); inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// The commands of a pipeline (split at `|`), each without its `> file` redirection.
    static func segments(_ text: String) -> [[String]] {
        var segments: [[String]] = [[]]
        var skipNext = false
        for word in words(text) {
            if skipNext { skipNext = false; continue }
            if word == "|" { segments.append([]) } else if word == ">" { skipNext = true } else { segments[segments.count - 1].append(word) }
        }
        return segments
    }

    /// Everything wrong with an example, as sentences naming the word and the command.
    static func problems(_ text: String, shapes: [String: CommandShape]) -> [String] {
        var problems: [String] = []
        for words in segments(text) {
            guard let tool = words.first else { problems.append("an empty command in a pipe"); continue }
            for word in words {
                for path in pathsNamed(by: word) where !FileManager.default.fileExists(atPath: Fixtures.repositoryRoot.appendingPathComponent(path).path) {
                    problems.append("\(path) does not exist in the repository")
                }
            }
            if let shape = shapes[tool] { problems += parseProblems(Array(words.dropFirst()), shape: shape, path: tool) }
        }
        return problems
    }

    /// fixtures/... and tools/... paths in a word (also as the value of `--opt=path`).
    static func pathsNamed(by word: String) -> [String] {
        let value = word.hasPrefix("-") ? String(word.split(separator: "=", maxSplits: 1).dropFirst().first ?? "") : word
        guard value.hasPrefix("fixtures/") || value.hasPrefix("tools/") else { return [] }
        return [value.hasSuffix("/") ? String(value.dropLast()) : value]
    }

    /// Parses `words` as ArgumentParser would for `shape`: subcommands (or the default one),
    /// options with their values, flags, positionals, required arguments.
    static func parseProblems(_ words: [String], shape: CommandShape, path: String) -> [String] {
        var command = shape
        var path = path
        var rest = words[...]
        while let subcommands = command.subcommands?.filter({ $0.commandName != "help" }), !subcommands.isEmpty {
            if let first = rest.first, let sub = subcommands.first(where: { $0.commandName == first }) {
                command = sub; path += " " + first; rest = rest.dropFirst()
            } else if let name = command.defaultSubcommand, let sub = subcommands.first(where: { $0.commandName == name }) {
                command = sub; path += " " + name
            } else if rest.first?.hasPrefix("-") == true, !(command.arguments ?? []).isEmpty {
                break  // options of the group itself (--version, --generate-completion-script)
            } else {
                return ["\(path): no subcommand \(rest.first ?? "(none given)"); it has \(subcommands.map(\.commandName).joined(separator: ", "))"]
            }
        }
        let arguments = command.arguments ?? []
        var problems: [String] = []
        var given = Set<String>()
        var positionals = 0
        var index = rest.startIndex
        while index < rest.endIndex {
            let word = rest[index]
            index += 1
            guard word.hasPrefix("-"), word != "-", Double(word) == nil else { positionals += 1; continue }
            let spelled = String(word.split(separator: "=", maxSplits: 1)[0])
            if ["--help", "-h", "--version", "--generate-completion-script", "--experimental-dump-help"].contains(spelled) { given.insert(spelled); if spelled == "--generate-completion-script" { index += 1 }; continue }
            guard let argument = arguments.first(where: { $0.kind != "positional" && $0.named(spelled) }) else {
                problems.append("\(path): no option \(spelled) (its options: \(arguments.flatMap { $0.names ?? [] }.map { ($0.kind == "short" ? "-" : "--") + $0.name }.joined(separator: " ")))")
                continue
            }
            for name in argument.names ?? [] { given.insert(name.name) }
            if argument.kind == "option", !word.contains("=") {
                if index < rest.endIndex { index += 1 } else { problems.append("\(path): \(spelled) needs a value") }
            }
        }
        let positional = arguments.filter { $0.kind == "positional" }
        if !positional.contains(where: \.isRepeating), positionals > positional.count {
            problems.append("\(path): \(positionals) positional arguments, more positional arguments than its \(positional.count) (\(positional.compactMap(\.valueName).joined(separator: " ")))")
        }
        let required = positional.filter { !$0.isOptional }.count
        if positionals < required, given.isDisjoint(with: ["--help", "-h", "--version"]) {
            problems.append("\(path): \(positionals) positional arguments, it needs \(required)")
        }
        for option in arguments where option.kind == "option" && !option.isOptional {
            if let names = option.names, names.allSatisfy({ !given.contains($0.name) }), given.isDisjoint(with: ["--help", "-h", "--version"]) {
                problems.append("\(path): --\(names.first { $0.kind == "long" }?.name ?? names[0].name) is required")
            }
        }
        return problems
    }
}

// MARK: - Running on tiny inputs

/// A folder of tiny inputs under the names the examples use, built once by the real stages; each
/// example runs in its own copy of it, without the files it writes.
final class TinyWorld {
    let folder = TemporaryDirectory("help-examples")
    var root: String { folder.path("world") }
    let bin = ArchivePipelineCLITests.binFolder.path

    init() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        let repo = Fixtures.repositoryRoot
        let mini = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini")
        for name in ["fixtures", "tools"] {
            try fm.createSymbolicLink(atPath: "\(root)/\(name)", withDestinationPath: repo.appendingPathComponent(name).path)
        }
        // A 12-model CNN-s zoo on synthetic 28x28 images, trained 25 epochs, keeping the epochs the
        // examples name (0, 4, 21-25): 8 training, 2 validation, 2 test models.
        try """
            {"name": "tiny-cnn-s", "architecture": {"family": "cnn_s", "channels": 1, "activation": "tanh", "dropout": 0},
             "dataset": {"name": "synthetic", "synthetic_counts": [40, 20, 20]},
             "initializer": "uniform", "optimizer": {"kind": "adam", "learning_rate": 0.001},
             "batch_size": 10, "epochs": 25, "seeds": {"start": 1, "count": 12}, "checkpoint_epochs": [0, 4, 21, 22, 23, 24, 25]}
            """.write(toFile: "\(root)/tiny-zoo.json", atomically: true, encoding: .utf8)
        try step("hz-zoo tiny-zoo.json -o zoo.h5")
        try step("hz-train zoo.h5 -o ae.h5 --epochs 1 " + HelpExamplesTests.tinyAE.joined(separator: " "))
        try step("hz-sample ae.h5 zoo.h5 --count 4 -o kde30.h5")
        try step("hz-sample ae.h5 zoo.h5 --count 4 --sampler neigh -o neigh30.h5")
        try step("cp kde30.h5 pop.h5 && cp kde30.h5 population.h5")
        try step("hz-train encode ae.h5 zoo.h5 -o z.npy --split test")
        try step("cp '\(mini.path)/expected/vectors.npy' vectors.npy")
        try step("hz-convert '\(mini.path)' -o converted.h5 --threads 1")
        try step("mkdir -p zoos && ln -s '\(mini.path)' zoos/tune_zoo_fmnist_uniform")
        let trials = try fm.contentsOfDirectory(atPath: mini.path).filter { $0.hasPrefix("NN_") }.sorted()
        try step("cp '\(mini.path)/\(trials[0])/checkpoint_000001/checkpoints' model_a.pt && cp '\(mini.path)/\(trials[1])/checkpoint_000001/checkpoints' model_b.pt")
        let ghrp = repo.appendingPathComponent("fixtures/ghrp/small-linear").path
        try step("cp '\(ghrp)/config_ae.json' '\(ghrp)/checkpoint_ae.pt' . && mkdir -p data/hyper_representations/mnist && cp config_ae.json checkpoint_ae.pt data/hyper_representations/mnist/")
        try step("hz-eval pop.h5 --zoo zoo.h5 --epochs 0,1 -o report " + HelpExamplesTests.tinyEval.joined(separator: " ") + " && cp report/report.json report.json")
        try step("hz-archive create -o pop.tar.zst --population population.h5 --report report.json")
        try step("mkdir -p runs/quickstart/archive && cp pop.tar.zst runs/quickstart/archive/population.tar.zst")
        // A spec of one's own beside its inputs (the fixture's relative paths are from fixtures/pipelines).
        try step("sed 's|\"../zoo/|\"fixtures/zoo/|' fixtures/pipelines/quickstart.json > spec.json")
        // The layout `hz-pipeline run` leaves (runs/q/...), from a real one-stage pipeline.
        try """
            {"pipeline": "q", "output": "runs/q", "stages": [
              {"name": "sample", "operator": "sample", "inputs": {"ae.h5": {"file": "ae.h5"}, "zoo.h5": {"file": "zoo.h5"}},
               "params": {"count": 4}, "outputs": {"output": "population.h5"}}]}
            """.write(toFile: "\(root)/q.json", atomically: true, encoding: .utf8)
        try step("hz-pipeline run q.json && mkdir -p runs/q/eval && cp report.json runs/q/eval/report.json")
    }

    /// Runs a setup command in the world folder; throws with its output when it fails.
    func step(_ command: String) throws {
        let result = try shell(command, in: root)
        guard result.status == 0 else { throw TestSupportError("setting up the tiny inputs: \(command) exited \(result.status):\n\(result.output)") }
    }

    /// Whether the Python tools/check-archive-torch uses can import torch and safetensors: the
    /// scripts' rule (tools/README.md), HYPERZOO_PYTHON, else the checkout's .venv-test, else python3.
    static let pythonHasTorch: Bool = {
        let venv = Fixtures.repositoryRoot.appendingPathComponent(".venv-test/bin/python").path
        let python = ProcessInfo.processInfo.environment["HYPERZOO_PYTHON"]
            ?? (FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "'\(python)' -c 'import torch, safetensors' 2>/dev/null"]
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// A fresh copy of the world.
    func makePlace() throws -> String {
        let place = folder.path("run-\(UUID().uuidString.prefix(8))")
        try FileManager.default.copyItem(atPath: root, toPath: place)
        return place
    }

    /// Runs an example in `shared` or else in a fresh copy of the world. The files it writes
    /// (its -o path and sidecars such as ae.h5.metrics.jsonl) are removed first, unless it resumes.
    func run(_ example: String, extra: [String: [String]], in shared: String? = nil) throws -> (status: Int32, output: String) {
        let fm = FileManager.default
        let place = try shared ?? makePlace()
        defer { if shared == nil { try? fm.removeItem(atPath: place) } }
        var pieces: [String] = []
        for words in ExampleCheck.segments(example) {
            let resumes = words.contains("--resume")
            for (i, word) in words.enumerated() where (word == "-o" || word == "--output") && i + 1 < words.count && !resumes {
                let output = URL(fileURLWithPath: place).appendingPathComponent(words[i + 1]).standardizedFileURL
                let folder = output.deletingLastPathComponent().path
                for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? []
                where name == output.lastPathComponent || (!words[i + 1].hasSuffix("/") && name.hasPrefix(output.lastPathComponent + ".")) {
                    try? fm.removeItem(atPath: folder + "/" + name)
                }
            }
            guard let tool = words.first else { continue }
            if !tool.hasPrefix("hz-"), !tool.hasPrefix("hyperzoo"), !tool.hasPrefix("tools/"),
               (try? shell("command -v \(tool)", in: place).status) != 0 {
                break  // an outside program that is not installed (Graphviz dot): run the part before it
            }
            pieces.append((words + (extra[tool] ?? [])).map(Self.quoted).joined(separator: " "))
        }
        var command = pieces.joined(separator: " | ")
        if let redirect = example.range(of: " > "), pieces.count == ExampleCheck.segments(example).count {
            let target = String(example[redirect.upperBound...])
            try? fm.removeItem(atPath: "\(place)/\(target)")
            command += " > " + Self.quoted(target)
        } else if example.contains(" > ") {
            command += " > /dev/null"
        }
        return try shell("set -o pipefail; " + command, in: place)
    }

    static func quoted(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,:".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `bash -c command` in `folder` with the built executables first on PATH; stdout and stderr
    /// together in one file (no pipe to fill).
    func shell(_ command: String, in folder: String) throws -> (status: Int32, output: String) {
        let log = folder + "/.example-output"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "(\(command)) > .example-output 2>&1"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = bin + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment.removeValue(forKey: "HYPERZOO_PROGRESS_FILE")
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: log)
        return (process.terminationStatus, output)
    }
}
