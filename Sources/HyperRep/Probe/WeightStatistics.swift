// The weight-statistics baseline of "Self-supervised representation learning on neural network
// weights" (Schürholt et al., NeurIPS 2021), also GHRP's `LayerQuintiles`: per layer, for its
// weights and for its biases, the mean, the variance and the 1/25/50/75/99 % quantiles.
//
// Size legend: N = checkpoints, P = parameters per checkpoint, F = statistics per checkpoint.
import ZooStore

/// Per-layer weight statistics of flat checkpoint rows laid out by a `ParameterTable`.
public struct WeightStatistics: Sendable {
    /// The quantile levels, as in the NeurIPS'21 baselines.
    public static let quantiles: [Double] = [0.01, 0.25, 0.50, 0.75, 0.99]
    /// Statistics per tensor: mean, variance, then the quantiles.
    public static let perTensor = 2 + quantiles.count

    public let table: ParameterTable
    /// The name of each feature column, e.g. "layer 0 weight q0.25".
    public let featureNames: [String]

    public init(table: ParameterTable) {
        self.table = table
        var names: [String] = []
        for layer in table.layers {
            for entry in [layer.weight] + (layer.bias.map { [$0] } ?? []) {
                names += ["\(entry.name) mean", "\(entry.name) var"] + Self.quantiles.map { "\(entry.name) q\($0)" }
            }
        }
        featureNames = names
    }

    public var featureCount: Int { featureNames.count }

    /// Features [N, F] of rows [N, P].
    public func features(rows: [Float], count n: Int) -> ProbeMatrix {
        let p = table.parameterCount
        precondition(rows.count == n * p, "WeightStatistics: \(rows.count) values for \(n) rows of \(p)")
        let tensors = table.layers.flatMap { [$0.weight] + ($0.bias.map { [$0] } ?? []) }
        var out = [Double]()
        out.reserveCapacity(n * featureCount)
        for r in 0..<n {
            for entry in tensors {
                let values = rows[(r * p + entry.offset)..<(r * p + entry.offset + entry.count)].map(Double.init)
                let mean = values.reduce(0, +) / Double(values.count)
                // Population variance (numpy's np.var, ddof 0), as the baseline computes it.
                let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
                let sorted = values.sorted()
                out += [mean, variance] + Self.quantiles.map { quantile(sorted: sorted, $0) }
            }
        }
        return ProbeMatrix(rows: n, columns: featureCount, values: out)
    }
}
