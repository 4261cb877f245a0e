// The trainer an `hz-train` run starts from: resumed from <output>.partial or <output> (its options
// kept, --lr and --epochs excepted), or new from the request's settings after the checks that keep
// an existing run from being overwritten by accident.
import Foundation
import Tensor
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

extension AutoencoderTrainingRun {
    /// A resumed trainer from <output>.partial or <output>, or a new one (after the checks that
    /// keep an existing run from being overwritten by accident).
    func makeTrainer(table: ParameterTable, trainRows: [Float], count: Int,
                     views: AutoencoderViewSource?) throws -> AutoencoderTrainer {
        let r = request
        if r.resume {
            // An interrupted run (new, forced or resumed) lives in the partial; a finished one at the output.
            let source = exists(files.partial) ? files.partial : files.output
            guard exists(source) else {
                throw AutoencoderError("\(r.output): nothing to resume (run without --resume to start)")
            }
            let (model, state) = try AutoencoderCheckpoint.load(path: source)
            guard var state else { throw AutoencoderError("\(source): has no /training state (an imported AE cannot resume)") }
            guard model.config.table == table else {
                throw AutoencoderError("\(source): trained on a different architecture than \(r.zoo)")
            }
            let conflicts = r.settings.resumeConflicts(config: model.config, options: state.options)
            guard conflicts.isEmpty else {
                throw AutoencoderError("\(source): a resumed run keeps its options, but \(conflicts.joined(separator: ", ")) was given; resume without them (--lr and --epochs may change), or start a new run with --force")
            }
            state.options.epochs = r.epochs
            if let lr = r.settings.learningRate, lr != state.options.optimizer.learningRate {
                note("hz-train: --lr \(lr) replaces the run's learning rate \(state.options.optimizer.learningRate) from epoch \(state.epoch + 1) on (schedule \(state.options.schedule) restarts from the new rate)")
                state.options.optimizer.learningRate = lr
                state.scheduler = LearningRateScheduler(state.options.schedule, base: lr)
            }
            state.diagnostics = nil
            let trainer = try AutoencoderTrainer(model: model, resuming: state)
            if source == files.partial {
                note("hz-train: resuming the interrupted run in \(files.partial) after epoch \(state.epoch)")
            }
            return trainer
        }
        if !r.force {
            if exists(files.partial) {
                throw AutoencoderError("\(files.partial): an interrupted run exists; pass --resume to continue it or --force to start over")
            }
            if exists(files.output) {
                throw AutoencoderError("\(r.output): exists; pass --resume to continue it or --force to replace it")
            }
            if exists(files.metrics) {
                throw AutoencoderError("\(files.metrics): exists without \(r.output); pass --force to replace it")
            }
        } else if isRoot {
            // --force starts over: an interrupted run's partial files (ours) go, the finished
            // output and its metrics stay until the new run replaces them.
            unlink(files.partial)
            unlink(files.metricsPartial)
        }
        let model = try Autoencoder(config: r.settings.modelConfig(table: table),
                                    seed: r.settings.seed ?? AutoencoderRunSettings.Defaults.seed)
        var options = r.settings.trainingOptions()
        if let views { options.augment = views.augmentOptions }
        return try trainRows.withUnsafeBufferPointer {
            try AutoencoderTrainer(model: model, options: options, trainRows: $0, count: count)
        }
    }
}
