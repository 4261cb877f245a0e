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
        guard reader.run.epochs == epochs else {
            throw OperatorError("\(name): \(reader.run.epochs) augmentation epochs of views, hz-train trains \(epochs): pass the same --epochs to hz-augment and hz-train")
        }
        return reader
    }

    /// The error of a failed view stream, with what became of the output: a new run removes the
    /// checkpoints it wrote (no partial AE is left behind); a resumed run keeps its last epoch.
    func viewStreamFailure(_ error: Error, wroteCheckpoint: Bool, trainedEpochs: Int) -> Error {
        guard wroteCheckpoint else { return OperatorError("\(error); \(output) \(resume ? "unchanged" : "not written")") }
        if resume { return OperatorError("\(error); \(output) keeps epoch \(trainedEpochs) (resume it with a complete stream)") }
        try? FileManager.default.removeItem(atPath: output)
        try? FileManager.default.removeItem(atPath: output + ".metrics.jsonl")
        return OperatorError("\(error); the partial \(output) was removed")
    }
}
