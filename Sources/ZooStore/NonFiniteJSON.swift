// How NaN and infinities appear in the JSON hyperzoo writes (reports, metrics, AE checkpoint
// attributes, --json summaries): JSON has no such numbers, so they are strings, spelled one way
// everywhere: "NaN", "Infinity", "-Infinity" (JavaScript's Number() and Python's float() read
// them). Files written before this spelling was shared used "nan", "inf", "-inf"; the decoders
// here read both.
import Foundation

public enum NonFiniteJSON {
    /// The encoding strategy of every JSON file and summary hyperzoo writes.
    public static let encoding = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")

    /// The earlier spelling, still read.
    static let legacyDecoding = JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// An encoder with `encoding` and sorted keys (pretty on request).
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = encoding
        return encoder
    }

    /// Decodes `data`, reading non-finite numbers in the current spelling and, if that fails,
    /// in the earlier one (a file holds one spelling or the other).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data,
                                           keyDecodingStrategy: JSONDecoder.KeyDecodingStrategy = .useDefaultKeys) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = keyDecodingStrategy
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do { return try decoder.decode(type, from: data) } catch let first {
            decoder.nonConformingFloatDecodingStrategy = legacyDecoding
            guard let legacy = try? decoder.decode(type, from: data) else { throw first }
            return legacy
        }
    }
}
