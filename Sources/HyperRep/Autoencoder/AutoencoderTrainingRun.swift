// One `hz-train` run as a library call: the zoo's rows, a new or resumed trainer, the epoch loop
// with validation, an atomic checkpoint and metrics file after every epoch, the diagnostics of
// the finished run and the final commit (rename) of both files. The command only parses options
// and prints what `perform()` returns.
//
// Files: the AE and its metrics live in <output>.partial and <output>.metrics.jsonl.partial while
// the run is under way; only after the last epoch are both renamed, so a stopped or failed run
// never leaves a half-trained AE at <output>.
import Foundation
import Tensor
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

/// One training run; `perform()` does all of it.
public final class AutoencoderTrainingRun {
    public let request: AutoencoderRunRequest
    public let files: AutoencoderRunFiles
    /// One line of the run's log (stderr in hz-train), without the newline.
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    /// Called after every training step with (steps done, steps in the run).
    public var progress: (Int, Int) -> Void = { _, _ in }
    /// Called once the loop is over (the progress bar ends there).
    public var loopFinished: () -> Void = {}
    /// Data-parallel training over these ranks (nil: this process alone). Only its root writes.
    public var group: (any TrainingGroup)?

    public init(_ request: AutoencoderRunRequest) {
        self.request = request
        files = AutoencoderRunFiles(output: request.output)
    }

    var isRoot: Bool { (group?.rank ?? 0) == 0 }
    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
    func note(_ line: String) { if isRoot { log(line) } }

    public func perform() throws -> AutoencoderRunResult {
        let r = request
        let reader = try ZooReader(path: r.zoo)
        defer { reader.close() }
        let trainIndices = reader.select(split: .train, epochs: r.zooEpochs, splitSeed: r.splitSeed)
        let valIndices = reader.select(split: .val, epochs: r.zooEpochs, splitSeed: r.splitSeed)
        guard trainIndices.count >= 2 else {
            throw AutoencoderError("\(r.zoo): \(trainIndices.count) training checkpoints selected; need at least 2 (check --zoo-epochs and the zoo's splits)")
        }
        let trainRows = try reader.readRows(indices: trainIndices)
        let valRows = try reader.readRows(indices: valIndices)
        try refuseNonFinite(trainRows, rows: trainIndices, of: reader)
        try refuseNonFinite(valRows, rows: valIndices, of: reader)
        let viewStream = try r.openViews?(reader.table, trainIndices)
        let trainer = try makeTrainer(table: reader.table, trainRows: trainRows, count: trainIndices.count, views: viewStream)
        trainer.group = group
        do { try trainer.checkTrainingRows(trainIndices.count) } catch {
            throw AutoencoderError("\(r.zoo): \(error) (--batch-size \(trainer.options.batchSize)\(r.settings.batchSize == nil && !r.resume ? ", the default" : ""))")
        }
        try trainer.checkGroup()
        if valIndices.count >= 2 && valIndices.count < trainer.options.batchSize {
            note("hz-train: note: \(valIndices.count) validation checkpoints, fewer than the batch size \(trainer.options.batchSize): validation losses use one batch of \(valIndices.count)")
        }
        let origin = viewStream.map { " views from \($0.origin)," } ?? ""
        let ranks = group.map { ", \($0.size) MPI rank\($0.size == 1 ? "" : "s")" } ?? ""
        note("hz-train: \(trainIndices.count) training / \(valIndices.count) validation checkpoints,\(origin) \(trainer.model.parameters.count) AE parameters\(ranks), epochs \(trainer.epoch + 1)…\(r.epochs)")
        // Every rank has read the files it needs before the root writes any.
        try group?.barrier()
        let startEpoch = trainer.epoch
        let steps = trainer.stepsPerEpoch(count: trainIndices.count)
        let totalSteps = max(r.epochs - trainer.epoch, 0) * steps
        var done = 0
        // One epoch of views from the stream, as flat rows [2, N, P] (empty when augmenting here).
        var epochViews = [Float](repeating: 0, count: viewStream == nil ? 0 : 2 * trainIndices.count * reader.parameterCount)
        var diagnostics: AutoencoderDiagnostics?
        do {
            while let viewStream, viewStream.epochsRead < trainer.epoch { try viewStream.skipEpoch() }
            while trainer.epoch < r.epochs {
                if let viewStream { try epochViews.withUnsafeMutableBufferPointer { try viewStream.readEpoch(into: $0) } }
                let metrics = try trainRows.withUnsafeBufferPointer { t in
                    try valRows.withUnsafeBufferPointer { v in
                        try epochViews.withUnsafeBufferPointer { given in
                            try trainer.trainEpoch(views: viewStream == nil ? .augmented(rows: t, sampleIDs: trainIndices) : .given(given),
                                                   count: trainIndices.count, validationRows: v, validationCount: valIndices.count,
                                                   validationIDs: valIndices) { _, _, _ in
                                done += 1
                                if self.isRoot { self.progress(done, totalSteps) }
                            }
                        }
                    }
                }
                if isRoot {
                    var state = trainer.state
                    if trainer.epoch == r.epochs {
                        // The last epoch: its checkpoint carries the run's diagnostics.
                        diagnostics = diagnose(trainer, trainRows: trainRows, count: trainIndices.count)
                        state.diagnostics = diagnostics
                    }
                    try AutoencoderCheckpoint.save(trainer.model, training: state, source: "hz-train \(r.zoo)", to: files.partial)
                    try writeMetrics(trainer.history, to: files.metricsPartial)
                }
                note(String(format: "%@epoch %d/%d  loss %.5f (contrast %.4f, recon %.5f)  val loss %.5f  val R² %.4f  lr %.2e  %.1fs",
                            isatty(STDERR_FILENO) != 0 ? "\n" : "", metrics.epoch, r.epochs, metrics.trainLoss, metrics.trainContrast,
                            metrics.trainReconstruction, metrics.validationLoss, metrics.validationRSquared,
                            metrics.learningRate, metrics.seconds))
            }
            try viewStream?.finish()
        } catch {
            throw runFailure(error, trainedEpochs: trainer.epoch, startEpoch: startEpoch)
        }
        loopFinished()
        // Only the root writes; the others are done once the root has committed.
        guard isRoot else {
            try group?.barrier()
            return AutoencoderRunResult(lastEpoch: trainer.history.last, diagnostics: nil)
        }
        if diagnostics == nil {
            // Nothing was left to train (a resumed run already at --epochs): check it as it is.
            diagnostics = diagnose(trainer, trainRows: trainRows, count: trainIndices.count)
            if exists(files.partial) {
                var state = trainer.state
                state.diagnostics = diagnostics
                try AutoencoderCheckpoint.save(trainer.model, training: state, source: "hz-train \(r.zoo)", to: files.partial)
                try writeMetrics(trainer.history, to: files.metricsPartial)
            }
        }
        // Commit: the metrics, then the AE. The AE's rename is the commit point: if the run is
        // killed between the two, <output>.partial is still there and --resume finishes the commit.
        if exists(files.partial) {
            try AtomicOutput(path: files.metrics, overwrite: true, allowExistingPartial: true).commit()
            try AtomicOutput(path: files.output, overwrite: r.force || r.resume, allowExistingPartial: true).commit()
        }
        try group?.barrier()
        return AutoencoderRunResult(lastEpoch: trainer.history.last, diagnostics: diagnostics!)
    }

    /// The error of a run that stopped (a failed view stream, a diverged loss, a write error), with
    /// what became of the files: <output> and its metrics are never touched before the run is
    /// complete; the epochs trained so far stay in <output>.partial, where --resume continues them.
    private func runFailure(_ error: Error, trainedEpochs: Int, startEpoch: Int) -> Error {
        let final = "\(request.output) \(exists(files.output) ? "unchanged" : "not written")"
        let message = "\(error)"
        guard trainedEpochs > startEpoch, exists(files.partial) else {
            let kept = exists(files.partial) ? " (\(files.partial) still holds epoch \(startEpoch))" : ""
            return AutoencoderError("\(message); \(final)\(kept)")
        }
        return AutoencoderError("\(message); \(final); epochs up to \(trainedEpochs) are kept in \(files.partial): continue with --resume\(request.viewsGiven ? " and a complete stream" : ""), or start over with --force")
    }

    /// The diagnostics of the trainer's model on the training rows.
    private func diagnose(_ trainer: AutoencoderTrainer, trainRows: [Float], count: Int) -> AutoencoderDiagnostics {
        AutoencoderDiagnostics(model: trainer.model, history: trainer.history, trainRows: trainRows, count: count,
                               layerRanges: trainer.objective.reconstruction.layerRanges)
    }

    /// Refuses rows [rows.count, P] with a NaN or infinite value, naming the first one.
    private func refuseNonFinite(_ values: [Float], rows: [Int], of reader: ZooReader) throws {
        guard let bad = values.firstIndex(where: { !$0.isFinite }) else { return }
        let P = reader.parameterCount
        let row = rows[bad / P], k = bad % P
        let name = reader.table.entries.first { $0.range.contains(k) }?.name ?? "parameter \(k)"
        throw AutoencoderError("\(request.zoo): checkpoint \(row) (model \(reader.model(row: row).id), epoch \(reader.epoch[row])) has \(values[bad]) in \(name) (value \(k) of the row): the zoo holds a diverged model; rebuild the zoo, or leave that model's checkpoints out (--zoo-epochs, or a zoo without it)")
    }

    /// Rewrites the metrics file at `path` from the run's history (atomically).
    private func writeMetrics(_ history: [AutoencoderEpochMetrics], to path: String) throws {
        let encoder = JSONEncoder.sortedNonFinite()
        var text = ""
        for m in history { text += String(decoding: try encoder.encode(m), as: UTF8.self) + "\n" }
        try writeFileAtomically(Array(text.utf8), to: path)
    }
}

extension JSONEncoder {
    /// Sorted keys; NaN and infinities as strings, spelled as NonFiniteJSON does (metrics can be
    /// NaN before validation).
    public static func sortedNonFinite() -> JSONEncoder { NonFiniteJSON.encoder() }
}
