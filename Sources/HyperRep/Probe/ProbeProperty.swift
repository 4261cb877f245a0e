// The properties a probe predicts, read from a zoo: each checkpoint's recorded test accuracy, its
// epoch, and every hyper-parameter of its model's recipe (GHRP's `result_keys` and
// `config_keys`). A numeric property is a regression target; any other (activation, optimizer,
// init, a boolean) is a class label.
import ZooStore

/// One property of the selected checkpoints.
public struct ProbeProperty: Sendable, Equatable {
    /// Where a property comes from.
    public enum Source: String, Sendable, Codable {
        /// A recorded metric (`/checkpoints/metrics`).
        case metric
        /// The checkpoint's epoch.
        case epoch
        /// A key of the model's `hyperparameters` object.
        case hyperparameter
    }

    public let name: String
    public let source: Source
    public let task: ProbeTask
    /// Per selected checkpoint: the value (regression) or the class index (classification);
    /// NaN where the property was not recorded.
    public let values: [Double]
    /// The class names, sorted (classification only).
    public let classes: [String]

    /// The name of the recorded test accuracy and of the epoch.
    public static let testAccuracy = "test_accuracy", epoch = "epoch"

    /// Numeric values as a regression target.
    public init(name: String, source: Source, numbers: [Double]) {
        self.name = name; self.source = source; task = .regression; values = numbers; classes = []
    }

    /// Labels as a classification target over their distinct values.
    public init(name: String, source: Source, labels: [String]) {
        let classes = Array(Set(labels)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($0.element, $0.offset) })
        self.name = name; self.source = source; task = .classification(classes: classes.count)
        values = labels.map { Double(index[$0]!) }
        self.classes = classes
    }

    /// The distinct recorded values among `rows` (indices into `values`).
    public func distinctValues(among rows: [Int]) -> Int {
        Set(rows.map { values[$0] }.filter { $0.isFinite }).count
    }

    /// A value of the property as the user reads it (a number or a class name).
    public func display(_ value: Double) -> String {
        if case .classification = task { return classes[Int(value)] }
        return value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// test_accuracy, epoch and every hyper-parameter key of the checkpoints `rows` of `zoo`, in
    /// that order (hyper-parameters sorted by key). A key missing from some models is the class
    /// "null" there when the key is categorical, and not recorded (NaN) when it is numeric.
    public static func all(of zoo: ZooReader, rows: [Int]) -> [ProbeProperty] {
        var out = [ProbeProperty(name: testAccuracy, source: .metric,
                                 numbers: rows.map { Double(zoo.metricColumns[.testAccuracy]?[$0] ?? .nan) }),
                   ProbeProperty(name: epoch, source: .epoch, numbers: rows.map { Double(zoo.epoch[$0]) })]
        let recipes = rows.map { row -> [String: JSONValue] in
            if case .object(let o) = zoo.model(row: row).hyperparameters { return o }
            return [:]
        }
        for key in Set(recipes.flatMap(\.keys)).sorted() {
            let values = recipes.map { $0[key] ?? .null }
            // A recipe key named like a built-in property keeps its own, qualified name.
            let name = key == testAccuracy || key == epoch ? "hyperparameters.\(key)" : key
            let numeric = values.allSatisfy { if case .number = $0 { return true }; if case .null = $0 { return true }; return false }
                && values.contains { if case .number = $0 { return true }; return false }
            if numeric {
                out.append(ProbeProperty(name: name, source: .hyperparameter, numbers: values.map {
                    if case .number(let d) = $0 { return d }
                    return .nan
                }))
            } else {
                out.append(ProbeProperty(name: name, source: .hyperparameter, labels: values.map {
                    if case .string(let s) = $0 { return s }
                    return $0.jsonText
                }))
            }
        }
        return out
    }
}
