import Foundation
import Testing
import TestSupport
import Tensor
import ZooStore
@testable import Nets

@Suite struct ArchitectureTests {
    @Test func parameterCountsAndNamesMatchThePaper() {
        let s1 = ArchitectureSpec.cnnS(channels: 1), s3 = ArchitectureSpec.cnnS(channels: 3)
        let m3 = ArchitectureSpec.cnnM(channels: 3)
        #expect(s1.parameterCount == 2464)
        #expect(s3.parameterCount == 2864)
        #expect(m3.parameterCount == 10853)
        func prefixes(_ a: ArchitectureSpec) -> [String] { a.parameterTable.layers.map(\.prefix) }
        #expect(prefixes(s1) == ["module_list.0", "module_list.3", "module_list.6", "module_list.9", "module_list.11"])
        #expect(prefixes(m3) == ["module_list.0", "module_list.4", "module_list.8", "module_list.13", "module_list.16"])
        // Dropout > 0 inserts modules after 2, 5 and 10 in CNN-s (GHRP def_net.CNN) …
        #expect(prefixes(.cnnS(dropout: 0.5)) == ["module_list.0", "module_list.4", "module_list.8", "module_list.11", "module_list.14"])
        // … while CNN3 always has them, so its names do not depend on the rate.
        #expect(prefixes(.cnnM(dropout: 0.5)) == prefixes(m3))
        // Offsets as the NeurIPS'21 index_dict: idx_start [0, 208, 1414, 1514, 2254].
        #expect(s1.parameterTable.layers.map(\.weight.offset) == [0, 208, 1414, 1514, 2254])
        #expect(prefixes(.mlp(hidden: [16, 8])) == ["module_list.0", "module_list.2", "module_list.4"])
    }

    /// A grid mixing dropout 0 and 0.5 gives CNN-s two layouts with the same shapes, named for
    /// the zoo file's groups; CNN-m always has Dropout modules, so its grid keeps one layout.
    @Test func dropoutGridGivesOneLayoutPerModuleList() throws {
        func spec(_ family: String, dropout: String) throws -> ZooSpec {
            try ZooSpec.parse(Data("""
            {"architecture": {"family": "\(family)"}, "dataset": {"name": "synthetic"}, "optimizer": {"kind": "adam", "learning_rate": 0.001},
             "epochs": 1, "seeds": [1, 2], "grid": {"dropout": \(dropout), "activation": ["tanh", "relu"]}}
            """.utf8))
        }
        let s = try spec("cnn_s", dropout: "[0, 0.5]")
        #expect(s.layouts.map(\.name) == ["cnn_s", "cnn_s_dropout"])
        #expect(s.layouts.map { $0.table.layers.map(\.prefix).last! } == ["module_list.11", "module_list.14"])
        #expect(s.layouts[1].table.hasSameStructure(as: s.layouts[0].table) && s.layouts[1].table != s.layouts[0].table)
        #expect(s.combinations.map { s.layoutName(for: $0) } == ["cnn_s", "cnn_s_dropout", "cnn_s", "cnn_s_dropout"])
        // Dropout first: its layout comes first and the plain one keeps the plain name.
        #expect(try spec("cnn_s", dropout: "[0.5, 0.2, 0]").layouts.map(\.name) == ["cnn_s_dropout", "cnn_s"])
        #expect(try spec("cnn_s", dropout: "[0.5]").layouts.map(\.name) == ["cnn_s"])
        #expect(try spec("cnn_m", dropout: "[0, 0.5]").layouts.map(\.name) == ["cnn_m_1ch"])
        // The Model Zoos "Hyp" grid: 256 configurations, half of them with Dropout modules.
        let hyp = try ZooSpec.load(path: Fixtures.project.appendingPathComponent("zoo/fmnist-cnn-s-hyp.json").path)
        #expect(hyp.combinations.count == 256)
        #expect(hyp.layouts.map(\.name) == ["cnn_s", "cnn_s_dropout"])
    }

    @Test func tableIsTheOneInferredFromAStateDict() throws {
        for spec in [ArchitectureSpec.cnnS(), .cnnS(channels: 3), .cnnM(), .mlp(hidden: [5])] {
            let inferred = try ParameterTable(stateDict: spec.stateDictShapes)
            #expect(inferred == spec.parameterTable)
            #expect(spec.parameterTable.parameterCount == spec.parameterCount)
        }
        let kinds = ArchitectureSpec.cnnS().parameterTable.layers.map(\.kind)
        #expect(kinds == [.conv2d, .conv2d, .conv2d, .linear, .linear])
    }

    @Test func initialRowFollowsTheZooInit() {
        let spec = ArchitectureSpec.cnnS()
        let row = spec.initialRow(initializer: .uniform, seed: 7)
        for e in spec.parameterTable.entries {
            let v = row[e.range]
            if e.role == .bias { #expect(v.allSatisfy { $0 == 0.01 }) } else { #expect(v.allSatisfy { $0 >= 0 && $0 < 1 }) }
        }
        let reproducible = row == spec.initialRow(initializer: .uniform, seed: 7)
        let seeded = row != spec.initialRow(initializer: .uniform, seed: 8)
        #expect(reproducible && seeded)
    }

    /// Workspace buffers start unwritten: a workspace filled with NaN (and argmax with Int32.min)
    /// gives bit-identical logits, loss and gradients to one filled with zeros, over batches
    /// smaller than, equal to and again smaller than the capacity, with and without dropout.
    @Test(arguments: [ArchitectureSpec.cnnS(), .cnnS(channels: 3, activation: .relu, dropout: 0.5), .cnnM(channels: 3),
                      .mlp(height: 6, width: 6, hidden: [7, 5], activation: .silu, dropout: 0.3)])
    func workspaceReadsOnlyWhatItWrote(spec: ArchitectureSpec) {
        let data = ImageDataset.synthetic(count: 7, channels: spec.inputChannels, height: spec.inputHeight, width: spec.inputWidth, seed: 2)
        let row = spec.initialRow(initializer: .kaimingUniform, seed: 4)
        let clean = NetworkWorkspace(architecture: spec, capacity: 7, fill: 0)
        let poisoned = NetworkWorkspace(architecture: spec, capacity: 7, fill: .nan)
        var streams = [RandomStream(seed: 1, purpose: "dropout"), RandomStream(seed: 1, purpose: "dropout")]
        for (step, B) in [5, 7, 3].enumerated() {
            var results: [(logits: [Float], loss: Float, gradient: [Float])] = []
            for (w, ws) in [clean, poisoned].enumerated() {
                ws.loadBatch(from: data, indices: 0..<B)
                let training = step != 1
                let logits = row.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: ws.forward(row: $0.baseAddress!, batch: B, training: training, stream: &streams[w]), count: B * spec.classes)) }
                let loss = data.labels.withUnsafeBufferPointer { ws.loss(labels: $0.baseAddress!, batch: B, gradient: true).loss }
                var gradient = [Float](repeating: 0, count: row.count)
                row.withUnsafeBufferPointer { r in gradient.withUnsafeMutableBufferPointer { ws.backward(row: r.baseAddress!, dRow: $0.baseAddress!, batch: B) } }
                results.append((logits, loss, gradient))
            }
            #expect(results[0].logits.map(\.bitPattern) == results[1].logits.map(\.bitPattern), "logits, batch \(B)")
            #expect(results[0].loss.bitPattern == results[1].loss.bitPattern && results[0].loss.isFinite, "loss, batch \(B)")
            #expect(results[0].gradient.map(\.bitPattern) == results[1].gradient.map(\.bitPattern), "gradient, batch \(B)")
            #expect(results[0].gradient.allSatisfy { $0.isFinite })
        }
    }

    /// The whole tape against central differences of its own Float32 forward (a composition
    /// check; each op has its own Float64 check in TensorTests and the PyTorch fixture pins the
    /// exact numbers).
    @Test(arguments: [ArchitectureSpec.cnnS(channels: 1, activation: .gelu), .cnnM(channels: 1, activation: .tanh), .mlp(height: 6, width: 6, hidden: [7], activation: .silu)])
    func networkGradientMatchesFiniteDifferences(spec: ArchitectureSpec) {
        let B = 3
        let data = ImageDataset.synthetic(count: B, channels: spec.inputChannels, height: spec.inputHeight, width: spec.inputWidth, seed: 1)
        var row = spec.initialRow(initializer: .kaimingUniform, seed: 3)
        let ws = NetworkWorkspace(architecture: spec, capacity: B)
        var unused = RandomStream(key: 0)
        func loss(_ r: [Float]) -> Double {
            ws.loadBatch(from: data, indices: 0..<B)
            r.withUnsafeBufferPointer { _ = ws.forward(row: $0.baseAddress!, batch: B, training: false, stream: &unused) }
            return Double(data.labels.withUnsafeBufferPointer { ws.loss(labels: $0.baseAddress!, batch: B, gradient: true).loss })
        }
        _ = loss(row)
        var grad = [Float](repeating: 0, count: row.count)
        row.withUnsafeBufferPointer { r in grad.withUnsafeMutableBufferPointer { ws.backward(row: r.baseAddress!, dRow: $0.baseAddress!, batch: B) } }
        var pick = RandomStream(seed: 5, purpose: "probe")
        var worst = 0.0
        for _ in 0..<40 {
            let i = pick.nextInt(below: row.count)
            let h: Float = 2e-3, orig = row[i]
            row[i] = orig + h; let lp = loss(row)
            row[i] = orig - h; let lm = loss(row)
            row[i] = orig
            let numeric = (lp - lm) / Double(2 * h)
            let e = abs(numeric - Double(grad[i])) / max(abs(numeric) + abs(Double(grad[i])), 2e-2)
            worst = max(worst, e)
        }
        #expect(worst < 2e-2, "worst relative error \(worst)")
    }
}
