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
        let (source, _, _) = try TokenStageIO.openInput(path, selection: ZooSelection())
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

    /// The error of a run that stopped (a failed view stream, a diverged loss, a write error), with
    /// what became of the files: <output> and its metrics are never touched before the run is
    /// complete; the epochs trained so far stay in <output>.partial, where --resume continues them.
    func runFailure(_ error: Error, files: RunFiles, trainedEpochs: Int, startEpoch: Int) -> Error {
        let exists = FileManager.default.fileExists(atPath: files.output)
        let final = "\(output) \(exists ? "unchanged" : "not written")"
        let message = "\(error)"
        guard trainedEpochs > startEpoch, FileManager.default.fileExists(atPath: files.partial) else {
            let kept = FileManager.default.fileExists(atPath: files.partial) ? " (\(files.partial) still holds epoch \(startEpoch))" : ""
            return OperatorError("\(message); \(final)\(kept)")
        }
        return OperatorError("\(message); \(final); epochs up to \(trainedEpochs) are kept in \(files.partial): continue with --resume\(views != nil ? " and a complete stream" : ""), or start over with --force")
    }
}
