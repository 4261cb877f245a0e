// The latent vectors samplers read (anchors) and write (samples): a dense row-major matrix.
//
// Sizes: N = number of vectors (anchors or samples), D = latent dimension.

/// A row-major matrix of latent vectors, `[count, dimension]` (N × D).
///
/// Anchors are encoder outputs of training models; samples are what a ``LatentSampler`` draws
/// and what the decoder turns back into weights.
public struct LatentMatrix: Sendable, Equatable {
    /// N: number of vectors (rows).
    public let count: Int
    /// D: latent dimension (columns).
    public let dimension: Int
    /// The values, row-major `[count * dimension]`.
    public var values: [Float]

    /// A matrix from row-major `values` `[count * dimension]`.
    public init(count: Int, dimension: Int, values: [Float]) {
        precondition(count >= 0 && dimension >= 0 && values.count == count * dimension,
                     "LatentMatrix: \(values.count) values do not fill \(count) × \(dimension)")
        self.count = count
        self.dimension = dimension
        self.values = values
    }

    /// A zero matrix of the given size.
    public init(count: Int, dimension: Int) {
        self.init(count: count, dimension: dimension, values: [Float](repeating: 0, count: count * dimension))
    }

    /// A matrix whose rows are `rows` (all of one length).
    public init(rows: [[Float]]) {
        let d = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == d }, "LatentMatrix: rows of different lengths")
        self.init(count: rows.count, dimension: d, values: rows.flatMap { $0 })
    }

    /// The value at (row, column).
    @inline(__always)
    public subscript(row: Int, column: Int) -> Float {
        get { values[row * dimension + column] }
        set { values[row * dimension + column] = newValue }
    }

    /// Row `i` as an array `[dimension]`.
    public func row(_ i: Int) -> [Float] {
        Array(values[(i * dimension)..<((i + 1) * dimension)])
    }

    /// All rows as arrays (convenient for decoders that take `[[Float]]`).
    public var rows: [[Float]] { (0..<count).map(row) }

    /// Column `j` as an array `[count]`.
    public func column(_ j: Int) -> [Float] {
        (0..<count).map { values[$0 * dimension + j] }
    }

    /// The sub-matrix made of the given rows, in the given order.
    public func selecting(rows indices: [Int]) -> LatentMatrix {
        var out = [Float]()
        out.reserveCapacity(indices.count * dimension)
        for i in indices { out.append(contentsOf: values[(i * dimension)..<((i + 1) * dimension)]) }
        return LatentMatrix(count: indices.count, dimension: dimension, values: out)
    }

    /// Per-column mean `[dimension]`, in Double.
    public func columnMeans() -> [Double] {
        var m = [Double](repeating: 0, count: dimension)
        guard count > 0 else { return m }
        for i in 0..<count { for j in 0..<dimension { m[j] += Double(values[i * dimension + j]) } }
        return m.map { $0 / Double(count) }
    }

    /// The sample covariance `[dimension, dimension]` row-major (divisor N − 1, like numpy.cov),
    /// in Double. N = 1 gives a zero matrix.
    public func covariance() -> [Double] {
        let d = dimension
        let mean = columnMeans()
        var c = [Double](repeating: 0, count: d * d)
        guard count > 1 else { return c }
        var centred = [Double](repeating: 0, count: d)
        for i in 0..<count {
            for j in 0..<d { centred[j] = Double(values[i * d + j]) - mean[j] }
            for a in 0..<d {
                let ca = centred[a]
                for b in a..<d { c[a * d + b] += ca * centred[b] }
            }
        }
        let scale = 1.0 / Double(count - 1)
        for a in 0..<d {
            for b in a..<d {
                let v = c[a * d + b] * scale
                c[a * d + b] = v
                c[b * d + a] = v
            }
        }
        return c
    }
}
