// Invalid specs are rejected before anything runs, with JSON paths in every message.
import Foundation
import Pipeline
import Testing
import TestSupport
import ZooStore

@Suite struct SpecValidationTests {
    @Test func embeddedSchemasMatchTheFiles() throws {
        for (name, embedded) in [("pipeline", EmbeddedSchemas.pipeline), ("manifest", EmbeddedSchemas.manifest)] {
            let file = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("schemas/\(name).schema.json"), encoding: .utf8)
            #expect(file.trimmingCharacters(in: .newlines) == embedded, "schemas/\(name).schema.json changed: run tools/fixtures/embed-schemas")
        }
    }

    @Test func schemaErrorsCarryJSONPaths() throws {
        let dir = TemporaryDirectory()
        let messages = specMessages {
            _ = try loadSpec("""
                {"pipeline": "x", "colour": 1, "stages": [
                  {"name": "a", "operator": "gen"},
                  {"name": "b", "params": {"count": {"nested": 1}}},
                  {"name": "9bad", "operator": "Gen"}
                ]}
                """, in: dir)
        }
        #expect(messages.contains("colour: unknown member 'colour' (known: $schema, description, matrix, output, pipeline, results, stages, vars, version)"), "\(messages)")
        #expect(messages.contains("stages[1]: missing required member 'operator'"))
        #expect(messages.contains { $0.hasPrefix("stages[1].params.count: expected") })
        #expect(messages.contains { $0.hasPrefix("stages[2].name: \"9bad\" does not match the pattern") })
        #expect(messages.contains { $0.hasPrefix("stages[2].operator: \"Gen\" does not match the pattern") })
    }

    @Test func invalidJSONNamesTheFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("broken.json")
        try "{\"pipeline\": ".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try PipelineSpec.load(path: path) } throws: { "\($0)".hasPrefix("\(path): not valid JSON") }
    }

    @Test func planErrorsCarryJSONPaths() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "x", "stages": [
              {"name": "a", "operator": "gen", "params": {"count": "many", "scale": "big", "mode": "medium", "lr": 0.1}, "outputs": {"output": "a.txt"}},
              {"name": "b", "operator": "double", "inputs": {"input": "nowhere.output"}, "outputs": {"output": "b.txt"}},
              {"name": "c", "operator": "double", "inputs": {"input": "a.result"}, "outputs": {"output": "c.txt"}},
              {"name": "d", "operator": "teleport"},
              {"name": "e", "operator": "gen", "params": {"count": "${missing}"}},
              {"name": "a", "operator": "gen", "outputs": {"output": "x"}},
              {"name": "f", "operator": "gen", "params": {"count": 2.5, "fail": 1}, "inputs": {"input": {"file": "does-not-exist.bin"}}, "outputs": {"output": "f"}}
            ]}
            """, in: dir)
        let messages = specMessages { _ = try PipelinePlan(spec: spec, run: spec.runs()[0], catalog: ops.catalog) }
        let expected = [
            "stages[0].params.count: expected an integer, found a string",
            "stages[0].params.scale: expected a number, found a string",
            "stages[0].params.mode: stage 'a': hz-gen --mode: expected one of fast, slow, found \"medium\"",
            "stages[0].params.lr: hz-gen has no option --lr (it has: count, fail, mode, output, scale, sleep)",
            "stages[1].inputs.input: refers to stage 'nowhere', which does not exist (stages: a, b, c, d, e, a, f)",
            "stages[2].inputs.input: stage 'a' has no output 'result' (its outputs: output)",
            "stages[3].operator: operator 'teleport': no executable hz-teleport beside hz-pipeline or on PATH (build with `swift build`, or add its folder to PATH)",
            "stages[4].params.count: undefined variable ${missing} (define it in vars or matrix)",
            "stages[4]: hz-gen needs --output: add it to params, inputs or outputs",
            "stages[5].name: duplicate stage name 'a' (also stages[0])",
            "stages[6].params.count: expected an integer, found 2.5",
            "stages[6].params.fail: expected a boolean (it is a flag), found a number",
            "stages[6].inputs.input: hz-gen has no option --input (it has: count, fail, mode, output, scale, sleep)",
        ]
        for line in expected { #expect(messages.contains(line), "missing: \(line)\n got: \(messages.joined(separator: "\n"))") }
        // Nothing ran: validation happens before any stage.
        #expect(ops.calls.isEmpty)
    }

    @Test func cyclesAreFound() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let spec = try loadSpec("""
            {"pipeline": "x", "stages": [
              {"name": "seed", "operator": "gen", "outputs": {"output": "s"}},
              {"name": "p", "operator": "double", "inputs": {"input": "q.output"}, "outputs": {"output": "p"}},
              {"name": "q", "operator": "double", "inputs": {"input": "p.output"}, "outputs": {"output": "q"}}
            ]}
            """, in: dir)
        let messages = specMessages { _ = try PipelinePlan(spec: spec, run: spec.runs()[0], catalog: ops.catalog) }
        #expect(messages == ["stages: the inputs form a cycle: p → q → p"] || messages == ["stages: the inputs form a cycle: q → p → q"], "\(messages)")
    }

    @Test func overridesVariablesAndMatrix() throws {
        let ops = try FakeOperators()
        let dir = TemporaryDirectory()
        let text = """
            {"pipeline": "sweep", "vars": {"n": 2, "tag": "t"}, "matrix": {"seed": [1, 2], "mode": ["fast", "slow"]},
             "output": "\(dir.url.path)/runs/${pipeline}",
             "stages": [{"name": "g", "operator": "gen", "params": {"count": "${n}", "mode": "${mode}"}, "outputs": {"output": "${tag}-${seed}.txt"}}]}
            """
        let spec = try loadSpec(text, in: dir, overrides: ["vars.n=5", "g.scale=0.25"])
        let runs = spec.runs()
        #expect(runs.map(\.id) == ["mode=fast,seed=1", "mode=fast,seed=2", "mode=slow,seed=1", "mode=slow,seed=2"])
        #expect(runs[1].folder == dir.url.path + "/runs/sweep/mode=fast,seed=2")
        let plan = try PipelinePlan(spec: spec, run: runs[3], catalog: ops.catalog)
        #expect(plan.stages[0].params == ["count": 5, "mode": "slow", "scale": 0.25])
        #expect(plan.stages[0].outputs["output"] == runs[3].folder + "/g/t-2.txt")
        #expect(Array(plan.stages[0].commandLine.dropFirst()) == ["--count", "5", "--mode", "slow", "--scale", "0.25", "--output", runs[3].folder + "/g/t-2.txt"])
        #expect(specMessages { _ = try loadSpec(text, in: dir, overrides: ["nostage.count=1"]) }
                    == ["--set 'nostage.count=1': no stage named 'nostage' (stages: g)"])
        #expect(specMessages { _ = try loadSpec(text, in: dir, overrides: ["g.count"]) }
                    == ["--set 'g.count': expected stage.param=value or vars.name=value"])
    }

    @Test func validatorRejectsUnimplementedKeywords() {
        #expect(throws: SpecError.self) { _ = try JSONSchemaValidator(text: #"{"type": "object", "dependentRequired": {}}"#, name: "s") }
    }

    @Test func canonicalJSONIsSortedAndStable() throws {
        let node = try JSONValue.parse(Data(#"{"b": [1, 2.5, true, null], "a": {"y": "q\"", "x": -3}}"#.utf8), source: "t")
        #expect(node.canonical == #"{"a":{"x":-3,"y":"q\""},"b":[1,2.5,true,null]}"#)
    }
}
