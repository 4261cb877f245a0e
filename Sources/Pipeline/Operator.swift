// The operator model: every pipeline stage is a type that turns one typed record stream into
// another, configured by parameters decoded from JSON, and deterministic given a seed. The same
// operator runs as `hz-<name>` over pipes and files, or in-process in tests and the DAG runner.
import Foundation

/// A source of records (a stream reader, an HDF5 file adapter, an in-memory list).
public protocol RecordSource: AnyObject {
    /// The next record, or nil when the source is exhausted.
    func next() throws -> Record?
}

/// A destination of records (a stream writer, an HDF5 file adapter, an in-memory list).
public protocol RecordSink: AnyObject {
    /// Accepts one record.
    func write(_ record: Record) throws
    /// Accepts one record given as header and raw payload (writers override it to avoid a copy).
    func write(header: RecordHeader, payload: UnsafeRawBufferPointer) throws
    /// Completes the output (end record, flush, atomic rename); called once after the last record.
    func finish() throws
}

extension RecordSink {
    public func write(header: RecordHeader, payload: UnsafeRawBufferPointer) throws {
        try write(Record(header: header, payload: Array(payload)))
    }
}

extension RecordStreamReader: RecordSource {}
extension RecordStreamWriter: RecordSink {}

/// Records kept in memory, in order (tests, small in-process pipelines).
public final class RecordBuffer: RecordSource, RecordSink {
    public private(set) var records: [Record]
    public private(set) var finished = false
    private var cursor = 0

    public init(_ records: [Record] = []) { self.records = records }
    public func next() throws -> Record? {
        guard cursor < records.count else { return nil }
        defer { cursor += 1 }
        return records[cursor]
    }
    public func write(_ record: Record) throws { records.append(record) }
    public func finish() throws { finished = true }
}

/// A pipeline stage: typed input and output record kinds, JSON parameters, a seed.
public protocol Operator {
    /// Parameters as they appear in a pipeline spec's `params` and on the command line.
    associatedtype Parameters: Codable & Sendable

    /// The operator's name (`tokenize` → executable `hz-tokenize`).
    static var name: String { get }
    /// Record kinds the operator reads, in the order they may appear.
    static var inputKinds: [String] { get }
    /// Record kinds the operator writes.
    static var outputKinds: [String] { get }

    /// The operator configured by `parameters`.
    /// - Throws: an error naming the offending parameter when they are inconsistent.
    init(parameters: Parameters) throws

    /// Reads `input` to its end, writes the result to `output` (without finishing it).
    /// Equal inputs, parameters and seed give equal outputs bit for bit.
    func run(input: RecordSource, output: RecordSink, seed: UInt64) throws
}

extension Operator {
    /// Decodes parameters from a JSON object (e.g. a pipeline spec's `params`).
    /// - Throws: `OperatorError` naming the operator and the decoding problem.
    public static func parameters(fromJSON data: Data) throws -> Parameters {
        do {
            return try JSONDecoder().decode(Parameters.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw OperatorError("\(name): params: missing key '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw OperatorError("\(name): params.\(path): \(context.debugDescription)")
        } catch {
            throw OperatorError("\(name): params are not valid JSON: \(error)")
        }
    }

    /// Configures the operator from JSON parameters.
    public init(parametersJSON data: Data) throws {
        try self.init(parameters: Self.parameters(fromJSON: data))
    }

    /// Checks that `record` is one of the operator's input kinds.
    public static func expectInput(_ record: Record, source: String) throws {
        guard inputKinds.contains(record.header.kind) else {
            throw OperatorError("\(source): record of kind '\(record.header.kind)', \(name) reads \(inputKinds.joined(separator: ", "))")
        }
    }
}

/// An operator that cannot run; the message names the operator and what to fix.
public struct OperatorError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
