// The operator model of the token stages: a type that turns one typed record stream into
// another, configured by its parameters and deterministic given a seed. hz-tokenize and
// hz-augment are the two operators (TokenStages/); each command opens its source and sink
// (TokenStageEndpoints: a stream on a pipe, a stream file, a zoo or token .h5) and calls `run`.
// The other stages (hz-zoo, hz-train, hz-eval, hz-sample, hz-archive, ...) are executables with
// their own entry points; the DAG runner starts every stage as a process and reads its arguments
// from its --experimental-dump-help (OperatorCatalog), never through this protocol.
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

/// A pipeline stage: typed input and output record kinds, JSON parameters, a seed.
public protocol Operator {
    /// Parameters as they appear in a pipeline spec's `params` and on the command line.
    associatedtype Parameters: Codable & Sendable

    /// The operator's name (`tokenize` → executable `hz-tokenize`).
    static var name: String { get }
    /// Record kinds the operator reads, in the order they may appear.
    static var inputKinds: [String] { get }

    /// The operator configured by `parameters`.
    /// - Throws: an error naming the offending parameter when they are inconsistent.
    init(parameters: Parameters) throws

    /// Reads `input` to its end, writes the result to `output` (without finishing it).
    /// Equal inputs, parameters and seed give equal outputs bit for bit.
    func run(input: RecordSource, output: RecordSink, seed: UInt64) throws
}

extension Operator {
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
