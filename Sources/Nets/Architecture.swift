// The zoo architectures, module by module, as the Model Zoos / GHRP code builds them
// (`model_definitions/def_net.py`): CNN-s ("CNN"), CNN-m ("CNN3") and the MLP. The module list
// fixes the state_dict names `module_list.{i}.weight|bias`, so rows of our zoos and of the
// published ones map onto the same tensors.
import Tensor
import ZooStore

/// One entry of a network's `module_list`.
public enum ZooModule: Codable, Sendable, Equatable, Hashable {
    case conv2d(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int)
    case maxPool2d(kernel: Int, stride: Int)
    case activation(Activation)
    case dropout(Float)
    case flatten
    case linear(inFeatures: Int, outFeatures: Int)

    /// Whether the module owns a weight and a bias.
    public var hasParameters: Bool {
        switch self {
        case .conv2d, .linear: return true
        default: return false
        }
    }
}

/// Which network family.
public enum ArchitectureFamily: String, Codable, Sendable, CaseIterable {
    /// CNN-s, Model Zoos `model::type = "CNN"` (28×28 input).
    case cnnS = "cnn_s"
    /// CNN-m, Model Zoos `"CNN3"` ("CNN-l" in the Model Zoos paper; 32×32 input).
    case cnnM = "cnn_m"
    /// A fully connected network on the flattened image (GHRP `MLP`).
    case mlp
}

/// A zoo network: family, input and the recipe knobs that change its module list.
public struct ArchitectureSpec: Codable, Sendable, Equatable, Hashable {
    public var family: ArchitectureFamily
    public var inputChannels: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var classes: Int
    public var activation: Activation
    /// Dropout probability. CNN-s and the MLP insert Dropout modules only when it is > 0 (which
    /// shifts the module indices); CNN-m always has them, as CNN3 does.
    public var dropout: Float
    /// Hidden widths (MLP only).
    public var hidden: [Int]

    public init(family: ArchitectureFamily, inputChannels: Int, inputHeight: Int, inputWidth: Int,
                classes: Int = 10, activation: Activation = .tanh, dropout: Float = 0, hidden: [Int] = []) {
        self.family = family; self.inputChannels = inputChannels
        self.inputHeight = inputHeight; self.inputWidth = inputWidth
        self.classes = classes; self.activation = activation; self.dropout = dropout; self.hidden = hidden
    }

    /// CNN-s on 28×28 images: 2464 parameters with 1 channel, 2864 with 3.
    public static func cnnS(channels: Int = 1, activation: Activation = .tanh, dropout: Float = 0) -> ArchitectureSpec {
        ArchitectureSpec(family: .cnnS, inputChannels: channels, inputHeight: 28, inputWidth: 28,
                         activation: activation, dropout: dropout)
    }

    /// CNN-m ("CNN3") on 32×32 images: 10,853 parameters with 3 channels (10,565 with 1).
    public static func cnnM(channels: Int = 3, activation: Activation = .tanh, dropout: Float = 0) -> ArchitectureSpec {
        ArchitectureSpec(family: .cnnM, inputChannels: channels, inputHeight: 32, inputWidth: 32,
                         activation: activation, dropout: dropout)
    }

    /// An MLP on flattened channels×height×width inputs with the given hidden widths.
    public static func mlp(channels: Int = 1, height: Int = 28, width: Int = 28, hidden: [Int] = [32],
                           classes: Int = 10, activation: Activation = .tanh, dropout: Float = 0) -> ArchitectureSpec {
        ArchitectureSpec(family: .mlp, inputChannels: channels, inputHeight: height, inputWidth: width,
                         classes: classes, activation: activation, dropout: dropout, hidden: hidden)
    }

    /// A short name for the zoo file, e.g. `cnn_s`, `cnn_s_3ch`, `cnn_m_3ch`, `mlp_784-32-10`.
    public var name: String {
        switch family {
        case .cnnS: return inputChannels == 1 ? "cnn_s" : "cnn_s_\(inputChannels)ch"
        case .cnnM: return "cnn_m_\(inputChannels)ch"
        case .mlp: return "mlp_" + ([inputFeatures] + hidden + [classes]).map(String.init).joined(separator: "-")
        }
    }

    /// Elements of one input sample.
    public var inputFeatures: Int { inputChannels * inputHeight * inputWidth }

    /// The module list in `module_list` order.
    public var modules: [ZooModule] {
        let act = ZooModule.activation(activation)
        let drop = ZooModule.dropout(dropout)
        let optionalDrop: [ZooModule] = dropout > 0 ? [drop] : []
        switch family {
        case .cnnS:
            return [.conv2d(inChannels: inputChannels, outChannels: 8, kernel: 5, stride: 1, padding: 0),
                    .maxPool2d(kernel: 2, stride: 2), act] + optionalDrop
                + [.conv2d(inChannels: 8, outChannels: 6, kernel: 5, stride: 1, padding: 0),
                   .maxPool2d(kernel: 2, stride: 2), act] + optionalDrop
                + [.conv2d(inChannels: 6, outChannels: 4, kernel: 2, stride: 1, padding: 0), act,
                   .flatten, .linear(inFeatures: 36, outFeatures: 20), act] + optionalDrop
                + [.linear(inFeatures: 20, outFeatures: classes)]
        case .cnnM:
            return [.conv2d(inChannels: inputChannels, outChannels: 16, kernel: 3, stride: 1, padding: 0),
                    .maxPool2d(kernel: 2, stride: 2), act, drop,
                    .conv2d(inChannels: 16, outChannels: 32, kernel: 3, stride: 1, padding: 0),
                    .maxPool2d(kernel: 2, stride: 2), act, drop,
                    .conv2d(inChannels: 32, outChannels: 15, kernel: 3, stride: 1, padding: 0),
                    .maxPool2d(kernel: 2, stride: 2), act, drop,
                    .flatten, .linear(inFeatures: 60, outFeatures: 20), act, drop,
                    .linear(inFeatures: 20, outFeatures: classes)]
        case .mlp:
            var m: [ZooModule] = []
            var width = inputFeatures
            for h in hidden {
                m += [.linear(inFeatures: width, outFeatures: h), act] + optionalDrop
                width = h
            }
            return m + [.linear(inFeatures: width, outFeatures: classes)]
        }
    }

    /// The state_dict tensors in order: `module_list.{i}.weight` then `.bias` per layer.
    public var stateDictShapes: [(name: String, shape: [Int])] {
        var out: [(name: String, shape: [Int])] = []
        for (i, m) in modules.enumerated() {
            switch m {
            case let .conv2d(c, oc, k, _, _):
                out.append(("module_list.\(i).weight", [oc, c, k, k]))
                out.append(("module_list.\(i).bias", [oc]))
            case let .linear(inF, outF):
                out.append(("module_list.\(i).weight", [outF, inF]))
                out.append(("module_list.\(i).bias", [outF]))
            default: break
            }
        }
        return out
    }

    /// The flat-row layout, identical to `ParameterTable(stateDict:)` of a PyTorch state_dict.
    public var parameterTable: ParameterTable {
        // The shapes are well-formed by construction, so inference cannot fail.
        try! ParameterTable(stateDict: stateDictShapes)
    }

    /// Length of a flat row.
    public var parameterCount: Int { stateDictShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }
}
