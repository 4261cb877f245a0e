// Times the zoo training step alone (no evaluation, no file I/O): CNN-s at the published
// recipe (tanh, U(0,1), Adam 3e-4, batch 10) on the first N Fashion-MNIST training images,
// M members on T worker threads for one epoch. The figure kernel work is judged by;
// tools/bench-zoo compares the whole hz-zoo with the PyTorch peer.
//
//   hz-bench-zoo-step [MODELS=4] [N_TRAIN=5000] [THREADS=1]
// Prints one JSON line: µs per training sample per thread (wall) and CPU µs per sample (the
// figure to compare while other programs run), and GFLOP/s (932 kFLOP per sample).
import Foundation
import Nets
import Tensor

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
