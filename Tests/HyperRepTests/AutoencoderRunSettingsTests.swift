import Testing
@testable import HyperRep
import Tensor
import ZooStore

/// hz-train fit's settings as the library takes them: defaults for a new run, typed parsers of
/// --head and --schedule, and the conflicts a resumed run reports.
@Suite struct AutoencoderRunSettingsTests {
    @Test func headAndScheduleParseTheirSpellingsAndRefuseOthers() {
        #expect(ProjectionHeadShape("4,400,50") == ProjectionHeadShape(layers: 4, hidden: 400, output: 50))
        #expect(ProjectionHeadShape("4,400,50")?.description == "4,400,50")
        for bad in ["4,400", "4,0,50", "a,b,c", ""] { #expect(ProjectionHeadShape(bad) == nil) }
        #expect(ScheduleChoice("constant") == .constant)
        #expect(ScheduleChoice("cosine")?.schedule(epochs: 7) == .cosine(epochs: 7, minimum: 0))
        #expect(ScheduleChoice("step:5:0.5")?.schedule(epochs: 7) == .step(stepSize: 5, gamma: 0.5))
        #expect(ScheduleChoice("plateau:0.1:3")?.schedule(epochs: 7) == .reduceOnPlateau(factor: 0.1, patience: 3, threshold: 1e-4, minimum: 0))
        for bad in ["step:5", "plateau:x:3", "linear", ""] { #expect(ScheduleChoice(bad) == nil) }
    }

    @Test func aNewRunUsesTheDefaultsForWhatWasNotGiven() throws {
        let table = try ParameterTable(stateDict: [("w", [4, 3]), ("b", [4])])
        var s = AutoencoderRunSettings()
        s.latent = 8; s.optimizer = .sgd; s.schedule = .cosine; s.epochs = 12; s.clipNorm = 2
        let c = s.modelConfig(table: table)
        #expect(c.modelWidth == 64 && c.heads == 4 && c.latentSize == 8 && c.bottleneck == .linear)
        #expect(c.projectionLayers == 4 && c.projectionHidden == 400 && c.projectionOutput == 50)
        let o = s.trainingOptions()
        #expect(o.epochs == 12 && o.batchSize == 32 && o.seed == 42)
        #expect(o.optimizer.kind == .sgd && o.optimizer.momentum == 0.9 && o.optimizer.learningRate == 1e-4)
        #expect(o.schedule == .cosine(epochs: 12, minimum: 0) && o.clipping == .norm(2))
        #expect(o.reduction == .globalMean && o.augment.eraseProbability == 0.5 && o.layerWeights == nil)
    }

    @Test func aResumedRunListsEveryGivenSettingThatDiffersInTheOptionsSpelling() throws {
        let table = try ParameterTable(stateDict: [("w", [4, 3]), ("b", [4])])
        let stored = AutoencoderRunSettings()
        let config = stored.modelConfig(table: table), options = stored.trainingOptions()
        var same = AutoencoderRunSettings()
        same.width = 64; same.bottleneck = .linear; same.head = ProjectionHeadShape("4,400,50"); same.optimizer = .adamW
        same.learningRate = 0.5; same.epochs = 99   // may change on resume
        #expect(same.resumeConflicts(config: config, options: options).isEmpty)
        var other = AutoencoderRunSettings()
        other.bottleneck = .linearBounded; other.head = ProjectionHeadShape("2,10,5"); other.optimizer = .sgd
        other.reduction = .layerMean; other.schedule = .step(epochs: 3, factor: 0.5); other.clipValue = 1; other.seed = 7
        #expect(other.resumeConflicts(config: config, options: options) == [
            "--bottleneck linear_bounded (the run has linear)", "--head 2,10,5 (the run has 4,400,50)",
            "--reduction layer_mean (the run has global_mean)", "--optimizer sgd (the run has adamw)",
            "--schedule step(stepSize: 3, gamma: 0.5) (the run has constant)",
            "--clip-norm/--clip-value value(1.0) (the run has none)", "--seed 7 (the run has 42)",
        ])
    }
}
