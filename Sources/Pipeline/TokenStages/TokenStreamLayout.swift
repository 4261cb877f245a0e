// The `layout` record that opens every row, token and view stream: what the following records
// hold and how to turn them back into flat weight rows (schemas/record-stream.md).
import Foundation
import HyperRep
import ZooStore

/// Which tokenizer a stream uses.
public struct TokenizerChoice: Codable, Sendable, Equatable {
    /// Tokenizer families.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// One token per output neuron (fan-in + bias), padded to the widest layer.
        case neuron
        /// SANE-style: neuron rows chunked and padded to one token size.
        case uniform
    }
    public var kind: Kind
    /// Token size of the uniform tokenizer (0 = widest neuron row); ignored for neuron tokens.
    public var tokenSize: Int

    public init(kind: Kind, tokenSize: Int = 0) {
        self.kind = kind
        self.tokenSize = tokenSize
    }

    /// The tokenizer for `table`.
    public func make(table: ParameterTable) throws -> any Tokenizer {
        switch kind {
        case .neuron: return try TokenLayout(table: table)
        case .uniform: return try UniformTokenizer(table: table, tokenSize: tokenSize)
        }
    }
}

/// Settings of an augmentation run, recorded in a view stream's layout.
public struct AugmentRun: Codable, Sendable, Equatable {
    public var options: AugmentOptions
    /// Views per sample and augmentation epoch.
    public var views: Int
    /// Augmentation epochs (passes over the input).
    public var epochs: Int
    /// Seed of every view's random stream.
    public var seed: UInt64
    /// Order of the `views` records; absent in streams written before it was recorded (those are
    /// sample-major).
    public var order: ViewOrder?

    public init(options: AugmentOptions, views: Int, epochs: Int, seed: UInt64, order: ViewOrder? = .epochMajor) {
        self.options = options
        self.views = views
        self.epochs = epochs
        self.seed = seed
        self.order = order
    }
}

/// The order of the `views` records of a view stream.
public enum ViewOrder: String, Codable, Sendable, Equatable {
    /// Every sample of augmentation epoch 0, then every sample of epoch 1, …: a consumer can train
    /// epoch by epoch while the stream is still being written.
    case epochMajor = "epoch_major"
    /// All epochs of sample 0, then of sample 1, … (hz-augment before order was recorded).
    case sampleMajor = "sample_major"
}

/// The first record of a stream.
public struct TokenStreamLayout: Codable, Sendable, Equatable {
    /// Stream contents.
    public enum Format: String, Codable, Sendable {
        /// `checkpoint` records: flat rows [P].
        case rows = "hyperzoo.rows"
        /// `tokens` records: [T, W].
        case tokens = "hyperzoo.tokens"
        /// `views` records: [V, T, W].
        case views = "hyperzoo.views"
    }
    public var format: Format
    public var formatVersion: Int
    /// Architecture name from the zoo.
    public var architecture: String
    /// The parameter table of the rows.
    public var table: ParameterTable
    /// The tokenizer (token and view streams).
    public var tokenizer: TokenizerChoice?
    /// Tokens per sample (T) and padded width (W) (token and view streams).
    public var tokenCount: Int?
    public var tokenWidth: Int?
    /// The augmentation (view streams).
    public var augment: AugmentRun?

    /// Record kind of the layout record.
    public static let kind = "layout"

    public init(format: Format, architecture: String, table: ParameterTable, tokenizer: TokenizerChoice? = nil,
                tokenCount: Int? = nil, tokenWidth: Int? = nil, augment: AugmentRun? = nil) {
        self.format = format
        self.formatVersion = 1
        self.architecture = architecture
        self.table = table
        self.tokenizer = tokenizer
        self.tokenCount = tokenCount
        self.tokenWidth = tokenWidth
        self.augment = augment
    }

    /// The layout as a `layout` record (sorted-key JSON).
    public func record() throws -> Record {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return Record(kind: Self.kind, json: Array(try encoder.encode(self)))
    }

    /// Decodes a `layout` record.
    /// - Throws: `OperatorError` naming the source when the record is missing or malformed.
    public static func decode(_ record: Record?, source: String) throws -> TokenStreamLayout {
        guard let record, record.header.kind == kind, record.header.dtype == .json else {
            throw OperatorError("\(source): expected a layout record first (found \(record.map { "'\($0.header.kind)'" } ?? "no records")); the input is not a hyperzoo row, token or view stream")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            let layout = try decoder.decode(TokenStreamLayout.self, from: Data(record.payload))
            guard layout.formatVersion == 1 else {
                throw OperatorError("\(source): layout format_version \(layout.formatVersion), this build reads 1")
            }
            return layout
        } catch let error as OperatorError {
            throw error
        } catch let error as ParameterTableError {
            throw OperatorError("\(source): layout record: parameter table: \(error)")
        } catch {
            throw OperatorError("\(source): layout record is not valid: \(error)")
        }
    }

    /// The `positions` [T, 3] and `mask` [T, W] records of `tokenizer`.
    public static func tokenRecords(_ tokenizer: any Tokenizer) -> [Record] {
        let positions = tokenizer.positions.flatMap { [Int32($0.token), Int32($0.layer), Int32($0.neuron)] }
        return [Record(kind: "positions", shape: [tokenizer.tokenCount, 3], int32: positions),
                Record(kind: "mask", shape: [tokenizer.tokenCount, tokenizer.tokenWidth], floats: tokenizer.mask)]
    }
}
