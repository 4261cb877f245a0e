import Testing
@testable import HyperZooCLI
import HyperRep
import Nets
import Tensor

/// Choice-valued options are types: the parser turns a spelling into the library's value, and a
/// wrong one is refused before the command runs, with the choices listed.
@Suite struct TypedOptionsTests {
    @Test func recipeOverridesParseIntoTheLibrarysValues() throws {
        let o = try RecipeOptions.parse(["--activation", "Leaky_ReLU", "--optimizer", "Adam", "--initializer", "kaiming_uniform",
                                         "--normalization", "0.5,0.25"]).overrides
        #expect(o.activation == .leakyRelu && o.optimizer == .adam && o.initializer == .kaimingUniform)
        #expect(o.normalization == Normalization(mean: 0.5, std: 0.25))
        #expect(try RecipeOptions.parse(["--normalization", "fmnist"]).overrides.normalization == .fashionMNISTStatistics)
        #expect(try RecipeOptions.parse([]).overrides == RecipeOverrides())
    }

    @Test func aWrongChoiceIsRefusedByTheParserWithTheChoicesListed() throws {
        for (option, value, listed) in [("--optimizer", "lbfgs", "adamw"), ("--activation", "swish", "gelu"),
                                        ("--initializer", "ones", "kaiming_uniform")] {
            do {
                _ = try RecipeOptions.parse([option, value])
                Issue.record("\(option) \(value) was accepted")
            } catch {
                let message = RecipeOptions.message(for: error)
                #expect(message.contains("'\(value)'") && message.contains(listed), "\(message)")
            }
        }
        #expect(throws: (any Error).self) { try RecipeOptions.parse(["--normalization", "0.5,0"]) }
        #expect(throws: (any Error).self) { try RecipeOptions.parse(["--dataset", "imagenet"]) }
        #expect(try RecipeOptions.parse(["--dataset", "cifar10"]).overrides.dataset == "cifar10")
    }

    @Test func recipeSourcesPrintTheTextReportsStore() {
        #expect(RecipeSource.commandLine.description == "command line")
        #expect(RecipeSource.stored("hz-zoo spec", overridden: false).description == "hz-zoo spec")
        #expect(RecipeSource.stored("hz-zoo spec", overridden: true).description == "hz-zoo spec, with command-line overrides")
    }

    @Test func trainOptionsParseHeadScheduleAndLayerWeights() throws {
        let fit = try TrainCommand.Fit.parse(["zoo.h5", "-o", "ae.h5", "--head", "2,10,5", "--schedule", "step:3:0.5",
                                              "--layer-weights", "1,2,1", "--bottleneck", "linear_bounded", "--optimizer", "sgd"])
        let s = fit.settings
        #expect(s.head == ProjectionHeadShape(layers: 2, hidden: 10, output: 5) && s.schedule == .step(epochs: 3, factor: 0.5))
        #expect(s.layerWeights == [1, 2, 1] && s.bottleneck == .linearBounded && s.optimizer == .sgd)
        for bad in [["--head", "4,400"], ["--schedule", "linear"], ["--layer-weights", "x"], ["--bottleneck", "tanh"]] {
            #expect(throws: (any Error).self) { try TrainCommand.Fit.parse(["zoo.h5", "-o", "ae.h5"] + bad) }
        }
    }
}

/// hz-eval's list options are typed too: what reaches the library, and what the parser refuses.
@Suite struct EvalListOptionsTests {
    @Test func baselinesAndEnsembleSizesParseAsBeforeAndRefuseOtherValues() throws {
        let defaults = try EvalCommand.parse(["--zoo", "zoo.h5", "-o", "out"]).evaluationOptions()
        #expect(defaults.baselines == ["bt", "bf"] && defaults.ensembleSizes == [3, 5])
        let given = try EvalCommand.parse(["--zoo", "zoo.h5", "-o", "out", "pop.h5", "--baselines", "BF, bt", "--ensemble-sizes", "2,,7"])
            .evaluationOptions()
        #expect(given.baselines == ["bf", "bt"] && given.ensembleSizes == [2, 7])
        let none = try EvalCommand.parse(["--zoo", "zoo.h5", "-o", "out", "pop.h5", "--baselines", "none", "--ensemble-sizes", "none"])
            .evaluationOptions()
        #expect(none.baselines.isEmpty && none.ensembleSizes.isEmpty)
        for bad in [["--baselines", "bt,bx"], ["--ensemble-sizes", "3,0"], ["--ensemble-sizes", "three"]] {
            #expect(throws: (any Error).self) { try EvalCommand.parse(["--zoo", "zoo.h5", "-o", "out", "pop.h5"] + bad) }
        }
        // No populations and no baselines: nothing to evaluate.
        #expect(throws: (any Error).self) { try EvalCommand.parse(["--zoo", "zoo.h5", "-o", "out", "--baselines", "none"]) }
    }
}
