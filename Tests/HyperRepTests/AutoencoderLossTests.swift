import Foundation
import Testing
import TestSupport
import Tensor
import ZooStore
@testable import HyperRep

// Float64 finite-difference checks of both losses, and their defining properties.
@Suite struct AutoencoderLossTests {
    /// Double reference of NT-Xent (GHRP NT_Xent: cosine similarity / τ, CE over j ≠ i, sum / N).
    static func ntXentReference(_ p: [Double], N: Int, O: Int, tau: Double) -> Double {
        var u = p
        for i in 0..<N {
            let n = (0..<O).map { p[i * O + $0] * p[i * O + $0] }.reduce(0, +).squareRoot()
            for o in 0..<O { u[i * O + o] = p[i * O + o] / n }
        }
        var loss = 0.0
        for i in 0..<N {
            var logits: [Double] = []
            var positive = 0.0
            for j in 0..<N where j != i {
                let s = (0..<O).map { u[i * O + $0] * u[j * O + $0] }.reduce(0, +) / tau
                logits.append(s)
                if j == (i + N / 2) % N { positive = s }
            }
            let m = logits.max()!
            loss += m + log(logits.map { exp($0 - m) }.reduce(0, +)) - positive
        }
        return loss / Double(N)
    }

    @Test func ntXentMatchesReferenceAndFiniteDifferences() {
        let N = 6, O = 3
        var r = RandomStream(seed: 21, purpose: "ntxent")
        let p = (0..<(N * O)).map { _ in r.nextNormal() }
        var dP = [Float](repeating: 0, count: N * O)
        var scratch = [Float](repeating: 0, count: N * N + N * O + N)
        let loss = ntXentLoss(dP: &dP, p: p, scratch: &scratch, rows: N, width: O, temperature: 0.1)
        let pd = p.map(Double.init)
        let expected = Self.ntXentReference(pd, N: N, O: O, tau: 0.1)
        #expect(abs(Double(loss) - expected) < 1e-4 * max(1, abs(expected)))
        let numeric = numericalGradient(pd) { Self.ntXentReference($0, N: N, O: O, tau: 0.1) }
        #expect(maxRelativeError(dP, numeric) < 1e-3)
    }

    @Test(arguments: ReconstructionReduction.allCases)
    func reconstructionMatchesFiniteDifferences(reduction: ReconstructionReduction) throws {
        let table = try tinyTable()
        let P = table.parameterCount, N = 4
        let target = randomRows(N, P, seed: 1), output = randomRows(N, P, seed: 2)
        var loss = ReconstructionLoss(table: table, reduction: reduction, layerWeights: [0.7, 1.3])
        let train = randomRows(5, P, seed: 3).enumerated().map { $0.offset < 15 ? $0.element * 10 : $0.element }
        train.withUnsafeBufferPointer { loss.normalize(by: $0, count: 5, parameters: P) }
        // σ_l is the unbiased std of all of layer l's values over the training rows.
        let layer0 = (0..<5).flatMap { i in (0..<15).map { Double(train[i * P + $0]) } }
        let m0 = layer0.reduce(0, +) / Double(layer0.count)
        let sd0 = (layer0.map { ($0 - m0) * ($0 - m0) }.reduce(0, +) / Double(layer0.count - 1)).squareRoot()
        #expect(abs(Double(loss.layerScale[0]) - sd0) < 1e-4 * sd0)
        func reference(_ y: [Double]) -> Double {
            var total = 0.0
            for (l, r) in loss.layerRanges.enumerated() {
                var sse = 0.0
                for i in 0..<N { for k in r {
                    let d = (y[i * P + k] - Double(target[i * P + k])) / Double(loss.layerScale[l])
                    sse += d * d
                } }
                total += Double(loss.layerWeights[l]) * sse / Double(N * (reduction == .globalMean ? P : r.count))
            }
            return total
        }
        var grad = [Float](repeating: 0, count: N * P)
        let result = loss.evaluate(output: output, target: target, rows: N, parameters: P, gradient: &grad)
        let od = output.map(Double.init)
        #expect(abs(Double(result.loss) - reference(od)) < 1e-5 * reference(od))
        #expect(maxRelativeError(grad, numericalGradient(od, reference)) < 1e-3)
    }

    @Test func unnormalisedGlobalMeanIsPlainMSEAndRSquaredIsZeroForTheMean() throws {
        let table = try tinyTable()
        let P = table.parameterCount, N = 5
        let rows = randomRows(N, P, seed: 4), other = randomRows(N, P, seed: 5)
        var loss = ReconstructionLoss(table: table)
        let r = loss.evaluate(output: rows, target: other, rows: N, parameters: P, gradient: nil)
        let mse = zip(rows, other).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +) / Double(N * P)
        #expect(abs(Double(r.loss) - mse) < 1e-5 * mse)
        rows.withUnsafeBufferPointer { loss.setMeanLoss(rows: $0, count: N, parameters: P) }
        var mean = [Float](repeating: 0, count: P)
        for i in 0..<N { for k in 0..<P { mean[k] += rows[i * P + k] / Float(N) } }
        let predicted = (0..<N).flatMap { _ in mean }
        let atMean = loss.evaluate(output: predicted, target: rows, rows: N, parameters: P, gradient: nil)
        #expect(abs(atMean.rSquared) < 1e-5)
        let perfect = loss.evaluate(output: rows, target: rows, rows: N, parameters: P, gradient: nil)
        #expect(perfect.rSquared == 1 && perfect.rSquaredPerLayer == [1, 1])
    }
    @Test(arguments: ReconstructionReduction.allCases)
    func plainEquivalentGivesTheOrdinaryRSquaredOfANormalisedLoss(reduction: ReconstructionReduction) throws {
        let table = try tinyTable()
        let P = table.parameterCount
        // Layer 0 ten times wider than layer 1, so normalising changes the overall R².
        let train = randomRows(6, P, seed: 7).enumerated().map { $0.offset % P < 15 ? $0.element * 10 : $0.element }
        let target = randomRows(3, P, seed: 8), output = randomRows(3, P, seed: 9)
        var normalised = ReconstructionLoss(table: table, reduction: reduction, layerWeights: [0.5, 2])
        var plain = ReconstructionLoss(table: table)
        train.withUnsafeBufferPointer {
            normalised.normalize(by: $0, count: 6, parameters: P)
            normalised.setMeanLoss(rows: $0, count: 6, parameters: P)
            plain.setMeanLoss(rows: $0, count: 6, parameters: P)
        }
        let expected = plain.evaluate(output: output, target: target, rows: 3, parameters: P, gradient: nil)
        let own = normalised.evaluate(output: output, target: target, rows: 3, parameters: P, gradient: nil)
        let converted = normalised.plainEquivalent.evaluate(output: output, target: target, rows: 3, parameters: P, gradient: nil)
        #expect(abs(converted.rSquared - expected.rSquared) < 1e-4 * max(1, abs(expected.rSquared)))
        #expect(abs(own.rSquared - expected.rSquared) > 1e-3)
        for l in 0..<2 {
            #expect(abs(converted.rSquaredPerLayer[l] - expected.rSquaredPerLayer[l]) < 1e-4 * max(1, abs(expected.rSquaredPerLayer[l])))
            #expect(abs(own.rSquaredPerLayer[l] - expected.rSquaredPerLayer[l]) < 1e-4 * max(1, abs(expected.rSquaredPerLayer[l])))
        }
    }
}
