// Issue 18.5: views of SANE-style uniform tokens used to train an AE bit-identical to the one of
// neuron tokens (hz-train turned them back into rows), so the option meant nothing downstream.
// hz-train now refuses them with one line and writes nothing; neuron views still train.
import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct UniformTokenTrainTests {
    @Test(.enabled(if: ToolRunner.isBuilt("hz-train") && ToolRunner.isBuilt("hz-augment"), "needs the products built"))
    func uniformTokenViewsAreRefusedByTheTrainerAndNeuronViewsTrain() throws {
        let dir = TemporaryDirectory("train-uniform")
        try TrainViewStreamTests.zoo(in: dir)
        let augment = "hz-augment zoo.h5 --split train --views 2 --epochs 2 --seed 5"
        let refused = try StageBinaries.shell("\(augment) --tokenizer uniform --token-size 32 -o uniform.h5"
                                              + " && hz-train zoo.h5 --views uniform.h5 -o ae.h5 \(TrainViewStreamTests.tiny)", in: dir.url.path)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("uniform.h5: views of uniform (SANE-style) tokens; hz-train's autoencoder takes one token per neuron"), "\(refused.stderr)")
        #expect(refused.stderr.contains("hz-augment --tokenizer neuron"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5.partial")))
        // A pipe is refused the same way, before any epoch is trained.
        let piped = try StageBinaries.shell("\(augment) --tokenizer uniform -o - | hz-train zoo.h5 --views - -o ae.h5 \(TrainViewStreamTests.tiny)",
                                            in: dir.url.path)
        #expect(piped.status != 0 && piped.stderr.contains("stdin: views of uniform (SANE-style) tokens"), "\(piped.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5")))
        let neuron = try StageBinaries.shell("\(augment) --tokenizer neuron -o neuron.h5 && hz-train zoo.h5 --views neuron.h5 -o ae.h5 \(TrainViewStreamTests.tiny)",
                                             in: dir.url.path)
        #expect(neuron.status == 0, "\(neuron.stderr)")
    }
}
