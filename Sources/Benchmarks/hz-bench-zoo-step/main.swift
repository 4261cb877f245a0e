// Times the zoo training step alone (no evaluation, no file I/O): CNN-s at the published
// recipe (tanh, U(0,1), Adam 3e-4, batch 10) on the first N Fashion-MNIST training images,
// M members on T worker threads for one epoch. The figure kernel work is judged by;
// tools/bench/bench-zoo compares the whole hz-zoo with the PyTorch peer.
//
//   hz-bench-zoo-step [MODELS=4] [N_TRAIN=5000] [THREADS=1]
//   hz-bench-zoo-step kernels     # each CNN-s convolution alone, batch 10, best of 300
// Prints one JSON line: µs per training sample per thread (wall) and CPU µs per sample (the
// figure to compare while other programs run), and GFLOP/s (932 kFLOP per sample).
import Foundation
import Nets
import Tensor

/// `hz-bench-zoo-step kernels`: each CNN-s convolution at batch 10, forward and backward timed
/// alone on hot caches, best of many repetitions (robust on a shared machine).
func benchmarkKernels() {
    setBLASThreads(1)   // as in training: one thread per model, the im2col reference included
    let geometries = [("conv1", Conv2dGeometry(batch: 10, inChannels: 1, height: 28, width: 28, outChannels: 8, kernel: 5)),
                      ("conv2", Conv2dGeometry(batch: 10, inChannels: 8, height: 12, width: 12, outChannels: 6, kernel: 5)),
                      ("conv3", Conv2dGeometry(batch: 10, inChannels: 6, height: 4, width: 4, outChannels: 4, kernel: 2))]
    for (name, g) in geometries {
        var r = RandomStream(seed: 1, purpose: "bench")
        let x = (0..<g.inputCount).map { _ in r.nextNormal() }, w = (0..<g.weightCount).map { _ in r.nextNormal() }
        let bias = [Float](repeating: 0.01, count: g.outChannels), dy = (0..<g.outputCount).map { _ in r.nextNormal() }
        var y = [Float](repeating: 0, count: g.outputCount), dx = x, dw = w, db = bias
        var scratch = [Float](repeating: 0, count: g.directBackwardScratchCount)
        func best(_ body: () -> Void) -> Double {
            var m = Double.infinity
            for _ in 0..<300 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                body()
                m = min(m, Double(DispatchTime.now().uptimeNanoseconds - t0))
            }
            return m
        }
        var forwardScratch = [Float](repeating: 0, count: max(g.directForwardScratchCount, 1))
        let forward = best { conv2dDirectForward(out: &y, inp: x, weight: w, bias: bias, g, scratch: &forwardScratch) }
        let backward = best {
            // The first layer's input gradient is never computed in training.
            dx.withUnsafeMutableBufferPointer { dxp in
                conv2dDirectBackward(dInp: name == "conv1" ? nil : dxp.baseAddress, dWeight: &dw, dBias: &db,
                                     scratch: &scratch, dOut: dy, inp: x, weight: w, g)
            }
        }
        let weightOnly = best {
            conv2dDirectBackward(dInp: nil, dWeight: &dw, dBias: &db, scratch: &scratch, dOut: dy, inp: x, weight: w, g)
        }
        var col = [Float](repeating: 0, count: g.colRows * g.colColumns), dCol = col
        let im2colForward = best { conv2dForward(out: &y, col: &col, inp: x, weight: w, bias: bias, g) }
        let im2colBackward = best {
            conv2dBackward(dInp: &dx, dWeight: &dw, dBias: &db, dCol: &dCol, dOut: dy, col: col, weight: w, g)
        }
        print("{\"kernel\": \"\(name)\", \"weight_gradient_us\": \(String(format: "%.2f", weightOnly / 1e3)), "
              + "\"im2col_forward_us\": \(String(format: "%.2f", im2colForward / 1e3)), "
              + "\"im2col_backward_us\": \(String(format: "%.2f", im2colBackward / 1e3))}")
        let macs = Double(g.outputCount * g.inChannels * g.kernel * g.kernel)
        let backwardMACs = macs * (name == "conv1" ? 1 : 2)
        print("{\"kernel\": \"\(name)\", \"forward_us\": \(String(format: "%.2f", forward / 1e3)), "
              + "\"forward_gflops\": \(String(format: "%.1f", 2 * macs / forward)), "
              + "\"backward_us\": \(String(format: "%.2f", backward / 1e3)), "
              + "\"backward_gflops\": \(String(format: "%.1f", 2 * backwardMACs / backward))}")
    }
}
if CommandLine.arguments.dropFirst().first == "kernels" {
    benchmarkKernels()
    exit(0)
}

let args = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let models = args.count > 0 ? args[0] : 4
let nTrain = args.count > 1 ? args[1] : 5000
let threads = args.count > 2 ? args[2] : 1

let full = try FashionMNIST.load(trainCount: 50_000)
let train = full.train.prefix(nTrain)
// A ten-image test set: evaluation after the epoch is negligible next to training.
let data = DatasetSplits(train: train, validation: nil, test: full.test.prefix(10))
let spec = ArchitectureSpec.cnnS()
let members = (0..<models).map { i in
    PopulationMember(architecture: spec, recipe: .modelZoos, seed: UInt64(i + 1),
                     initialRow: spec.initialRow(initializer: .uniform, seed: UInt64(i + 1)))
}
/// CPU seconds of the whole process (all threads): unlike wall time, not inflated by other
/// programs sharing the cores.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
var seconds = 0.0
var accuracy: [Float] = []
let cpu0 = processCPUSeconds()
PopulationTrainer(threads: threads).train(members: members, data: data, epochs: 1, evaluateEpochZero: false) { r in
    seconds = r.trainingSeconds
    accuracy = r.metrics.map(\.trainAccuracy)
}
let cpuSeconds = processCPUSeconds() - cpu0
let samples = Double(models * nTrain)
let usPerSample = seconds * 1e6 / samples * Double(min(threads, models))
print("{\"models\": \(models), \"n_train\": \(nTrain), \"threads\": \(threads), \"seconds\": \(String(format: "%.3f", seconds)), "
      + "\"us_per_sample_per_thread\": \(String(format: "%.2f", usPerSample)), "
      + "\"cpu_us_per_sample\": \(String(format: "%.2f", cpuSeconds * 1e6 / samples)), "
      + "\"gflops\": \(String(format: "%.2f", samples * 932_000 / seconds / 1e9)), "
      + "\"mean_train_accuracy\": \(String(format: "%.4f", accuracy.reduce(0, +) / Float(max(accuracy.count, 1))))}")
