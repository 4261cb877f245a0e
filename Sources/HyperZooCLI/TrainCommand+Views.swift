// `hz-train ZOO.h5 --views -`: the views of every training model come from hz-augment's view
// stream (a pipe, a record-stream file or a views .h5) instead of the trainer's own augmenter.
import Foundation
import HyperRep
import Pipeline
import ZooStore

extension TrainCommand.Fit {
    /// Opens the view stream `path` for the training checkpoints and checks that it holds as many
    /// augmentation epochs as the run trains.
    func openViews(_ path: String, table: ParameterTable, trainingCheckpoints: [Int]) throws -> TrainingViewReader {
        let (source, _, _) = try TokenStageEndpoints.openInput(path, selection: ZooSelection())
        let name = path == "-" ? "stdin" : path
        let reader = try TrainingViewReader(source: source, name: name, table: table, trainingCheckpoints: trainingCheckpoints)
        // The AE is the paper's AE_attn: one token per neuron, a linear embedder per layer. Views of
        // SANE-style uniform tokens could only be turned back into rows, training the very same AE
        // as neuron tokens, so they are refused instead of silently meaning nothing (issue 18.5).
        if let choice = reader.layout.tokenizer, choice.kind == .uniform {
            throw OperatorError("\(name): views of uniform (SANE-style) tokens; hz-train's autoencoder takes one token per neuron and has no uniform-token input: make the views with hz-augment --tokenizer neuron (uniform tokens are an export format: hz-tokenize --tokenizer uniform)")
        }
        guard reader.run.epochs == epochs else {
            throw OperatorError("\(name): \(reader.run.epochs) augmentation epochs of views, hz-train trains \(epochs): pass the same --epochs to hz-augment and hz-train")
        }
        return reader
    }
}

/// hz-augment's view stream as the training run reads it.
final class ViewStreamSource: AutoencoderViewSource {
    let reader: TrainingViewReader
    let origin: String
    init(_ reader: TrainingViewReader, name: String) {
        self.reader = reader
        origin = "\(name) (hz-augment seed \(reader.run.seed))"
    }
    var epochsRead: Int { reader.epochsRead }
    var augmentOptions: AugmentOptions { reader.run.options }
    func skipEpoch() throws { try reader.skipEpoch() }
    func readEpoch(into views: UnsafeMutableBufferPointer<Float>) throws { try reader.readEpoch(into: views) }
    func finish() throws { try reader.finish() }
}
