// The small-MLP probe: standardised features → Linear(D, H) → ReLU → Linear(H, K), trained with
// Adam on minibatches of the training rows (MSE on the standardised target, or cross-entropy),
// keeping the parameters of the epoch that scores best on val (early stopping by selection).
// Initialisation is PyTorch's nn.Linear default, U(±1/√fan_in) for weights and biases.
//
// Size legend: B = rows in a batch, D = features, H = hidden width, K = outputs.
import Tensor

/// Settings of the MLP probe.
public struct MLPProbeOptions: Sendable, Equatable, Codable {
    public var hidden: Int
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var weightDecay: Float

    public init(hidden: Int = 64, epochs: Int = 100, batchSize: Int = 32, learningRate: Float = 1e-3, weightDecay: Float = 1e-4) {
        self.hidden = hidden; self.epochs = epochs; self.batchSize = batchSize
        self.learningRate = learningRate; self.weightDecay = weightDecay
    }
}

/// A two-layer perceptron over one `ProbeProblem`.
final class MLPProbe {
    let d: Int, h: Int, k: Int
    let parameters: FlatParameters
    private let task: ProbeTask

    init(inputs d: Int, hidden h: Int, task: ProbeTask, stream: inout RandomStream) {
        self.d = d; self.h = h; self.k = task.outputs; self.task = task
        parameters = FlatParameters([("0.weight", [h, d]), ("0.bias", [h]), ("2.weight", [k, h]), ("2.bias", [k])])
        for (name, fanIn) in [("0.weight", d), ("0.bias", d), ("2.weight", h), ("2.bias", h)] {
            let bound = 1 / Float(fanIn).squareRoot()
            let p = parameters.value(name)
            for i in 0..<parameters.view(name).count { p[i] = stream.nextFloat(in: -bound, bound) }
        }
    }

    /// Outputs [B, K] of inputs [B, D]; `hidden` [B, H] receives the post-ReLU activations.
    private func forward(_ x: UnsafePointer<Float>, rows b: Int, hidden: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        linearForward(out: hidden, inp: x, weight: parameters.value("0.weight"), bias: parameters.value("0.bias"),
                      rows: b, inFeatures: d, outFeatures: h)
        for i in 0..<(b * h) where hidden[i] < 0 { hidden[i] = 0 }
        linearForward(out: out, inp: hidden, weight: parameters.value("2.weight"), bias: parameters.value("2.bias"),
                      rows: b, inFeatures: h, outFeatures: k)
    }

    /// Predictions [N, K] (in the units of `target`, i.e. standardised for regression).
    func predict(_ x: [Float], rows n: Int) -> ProbeMatrix {
        guard n > 0 else { return ProbeMatrix(rows: 0, columns: k, values: []) }
        var hidden = [Float](repeating: 0, count: n * h), out = [Float](repeating: 0, count: n * k)
        x.withUnsafeBufferPointer { xp in
            hidden.withUnsafeMutableBufferPointer { hp in
                out.withUnsafeMutableBufferPointer { forward(xp.baseAddress!, rows: n, hidden: hp.baseAddress!, out: $0.baseAddress!) }
            }
        }
        return ProbeMatrix(rows: n, columns: k, floats: out)
    }

    /// One optimisation step on rows `batch` of `x` [N, D] with targets `y` (standardised values or class indices).
    func step(x: [Float], y: [Float], batch: ArraySlice<Int>, optimizer: Optimizer) {
        let b = batch.count
        var xb = [Float](repeating: 0, count: b * d), hidden = [Float](repeating: 0, count: b * h)
        var out = [Float](repeating: 0, count: b * k), dOut = [Float](repeating: 0, count: b * k)
        var dHidden = [Float](repeating: 0, count: b * h)
        for (i, r) in batch.enumerated() { for c in 0..<d { xb[i * d + c] = x[r * d + c] } }
        parameters.zeroGradients()
        xb.withUnsafeBufferPointer { xp in
            hidden.withUnsafeMutableBufferPointer { hp in
                out.withUnsafeMutableBufferPointer { op in
                    forward(xp.baseAddress!, rows: b, hidden: hp.baseAddress!, out: op.baseAddress!)
                    switch task {
                    case .regression:
                        // d/dŷ of mean (ŷ − y)².
                        for (i, r) in batch.enumerated() { dOut[i] = 2 * (op[i] - y[r]) / Float(b) }
                    case .classification:
                        var labels = batch.map { Int32(y[$0]) }, logProbs = [Float](repeating: 0, count: b * k)
                        crossEntropyForward(logProbs: &logProbs, losses: nil, logits: op.baseAddress!, labels: &labels, rows: b, classes: k)
                        crossEntropyBackward(dLogits: &dOut, logProbs: logProbs, labels: labels, rows: b, classes: k)
                    }
                    linearBackward(dInp: &dHidden, dWeight: parameters.gradient("2.weight"), dBias: parameters.gradient("2.bias"),
                                   dOut: dOut, inp: hp.baseAddress!, weight: parameters.value("2.weight"),
                                   rows: b, inFeatures: h, outFeatures: k)
                    for i in 0..<(b * h) where hp[i] <= 0 { dHidden[i] = 0 }
                    linearBackward(dInp: nil, dWeight: parameters.gradient("0.weight"), dBias: parameters.gradient("0.bias"),
                                   dOut: dHidden, inp: xp.baseAddress!, weight: parameters.value("0.weight"),
                                   rows: b, inFeatures: d, outFeatures: h)
                }
            }
        }
        optimizer.step(parameters)
    }
}

extension ProbeProblem {
    /// The MLP probe: trained `options.epochs` epochs from `stream`'s initialisation and
    /// shuffles; the parameters of the epoch with the best val score are the ones scored.
    public func mlpScores(options: MLPProbeOptions, stream: RandomStream) -> ProbeScores {
        var stream = stream
        let d = train.x.columns, n = train.y.count
        // Regression trains on the standardised target; predictions are mapped back before scoring.
        let (shift, spread): (Double, Double) = {
            guard case .regression = task else { return (0, 1) }
            let mean = train.y.reduce(0, +) / Double(n)
            let sd = (train.y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
            return (mean, sd > 0 ? sd : 1)
        }()
        let xTrain = train.x.values.map(Float.init), xVal = val.x.values.map(Float.init), xTest = test.x.values.map(Float.init)
        let yTrain = train.y.map { Float(($0 - shift) / spread) }
        func scaled(_ m: ProbeMatrix) -> ProbeMatrix {
            guard case .regression = task else { return m }
            return ProbeMatrix(rows: m.rows, columns: m.columns, values: m.values.map { $0 * spread + shift })
        }
        let mlp = MLPProbe(inputs: d, hidden: options.hidden, task: task, stream: &stream)
        let optimizer = Optimizer(.adam(learningRate: options.learningRate, weightDecay: options.weightDecay), count: mlp.parameters.count)
        var best: (epoch: Int, val: Double, parameters: [Float]) = (0, -.infinity, mlp.parameters.valuesArray())
        var order = Array(0..<n)
        let batch = min(options.batchSize, n)
        for epoch in 1...max(options.epochs, 1) {
            // Fisher–Yates from the probe's own stream: the same seed gives the same run.
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(stream.nextUInt64() % UInt64(i + 1))) }
            var start = 0
            while start < n {
                mlp.step(x: xTrain, y: yTrain, batch: order[start..<min(start + batch, n)], optimizer: optimizer)
                start += batch
            }
            let v = score(scaled(mlp.predict(xVal, rows: val.y.count)), val.y) ?? -.infinity
            if v > best.val || best.epoch == 0 { best = (epoch, v, mlp.parameters.valuesArray()) }
        }
        mlp.parameters.load(best.parameters)
        return ProbeScores(train: score(scaled(mlp.predict(xTrain, rows: n)), train.y),
                           val: score(scaled(mlp.predict(xVal, rows: val.y.count)), val.y),
                           test: score(scaled(mlp.predict(xTest, rows: test.y.count)), test.y), epoch: best.epoch)
    }
}
