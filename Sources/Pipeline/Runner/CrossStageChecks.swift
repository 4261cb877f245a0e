// Constraints between stages that the stage executables enforce only when they run, checked when
// a plan is built (so `validate` and `--dry-run` find them, not a failure an hour into a run).
// Each rule here mirrors a check in a stage CLI and says which; the values come from the spec's
// params or, when a param is not set, from the default the executable reports in its own help.
import Foundation
import ZooStore

enum CrossStageChecks {
    /// Every violated constraint, with the JSON path of the param to change.
    static func problems(_ stages: [PlannedStage], file: String) -> [SpecError] {
        var errors: [SpecError] = []
        for reader in stages where ["train", "train.fit"].contains(reader.spec.operatorName) {
            // hz-train --views (TrainCommand+Views.openViews): the stream from hz-augment must hold
            // exactly as many augmentation epochs as hz-train trains, of the training split, at the
            // checkpoints hz-train uses.
            guard case .stage(let w, _, _)? = reader.inputs["views"], stages[w].spec.operatorName == "augment" else { continue }
            let writer = stages[w]
            let trainEpochs = value(reader, "epochs"), augmentEpochs = value(writer, "epochs")
            if let trainEpochs, let augmentEpochs, trainEpochs != augmentEpochs {
                errors.append(SpecError(file: file, path: JSONPath.member("\(reader.spec.jsonPath).params", "epochs"),
                                        message: "hz-train trains \(trainEpochs) epochs on the views of stage '\(writer.name)', which makes \(augmentEpochs) augmentation epochs; hz-train needs exactly one augmentation epoch per epoch: give both stages the same epochs (e.g. one variable)"))
            }
            if let split = value(writer, "split"), split != "train" {
                errors.append(SpecError(file: file, path: JSONPath.member("\(writer.spec.jsonPath).params", "split"),
                                        message: "stage '\(reader.name)' (hz-train) reads these views, and hz-train trains on the training split only: use \"split\": \"train\""))
            } else if value(writer, "split") == nil {
                errors.append(SpecError(file: file, path: writer.spec.jsonPath,
                                        message: "stage '\(reader.name)' (hz-train) reads these views, and hz-train trains on the training split only: add \"split\": \"train\" to params"))
            }
            if let used = value(reader, "zoo-epochs").flatMap(epochSet), let made = value(writer, "checkpoint-epochs").flatMap(epochSet), used != made {
                errors.append(SpecError(file: file, path: JSONPath.member("\(writer.spec.jsonPath).params", "checkpoint-epochs"),
                                        message: "stage '\(reader.name)' trains on zoo epochs \(value(reader, "zoo-epochs")!) but these views are of checkpoint epochs \(value(writer, "checkpoint-epochs")!); they must be the same checkpoints"))
            }
        }
        return errors
    }

    /// A param's value as text: the spec's, else the executable's default.
    private static func value(_ stage: PlannedStage, _ name: String) -> String? {
        if let given = stage.params[name] { return given.commandLineText }
        return stage.description.options[name]?.defaultValue
    }

    /// `0,21-25` as a set of epochs; nil when it does not parse (the stage itself will say why).
    private static func epochSet(_ text: String) -> Set<Int>? {
        try? EpochList.parse(text, option: "")
    }
}
