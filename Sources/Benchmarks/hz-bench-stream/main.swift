// hz-bench-stream (was `hyperzoo stream-bench`): measures record-stream throughput between two
// processes (tools/bench/bench-augment runs `hz-bench-stream write | hz-bench-stream read`).
// A benchmark driver, not a product.
import ArgumentParser
import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

/// Writes or reads a synthetic record stream as fast as possible and reports GB/s.
struct StreamBench: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hz-bench-stream",
        abstract: "Measure record-stream throughput through a pipe (write | read).",
        discussion: "  hz-bench-stream write --megabytes 4096 | hz-bench-stream read")

    @Argument(help: ArgumentHelp("write (records to stdout) or read (verify records from stdin).", valueName: "role"))
    var role: String

    @Option(help: ArgumentHelp("Payload megabytes to write.", valueName: "MB"))
    var megabytes: Int = 2048

    @Option(help: ArgumentHelp("Payload bytes per record, in KiB (a CNN-s view pair is 75 KiB).", valueName: "KiB"))
    var recordKib: Int = 256

    init() {}

    func run() throws {
        let start = Date()
        var bytes = 0, records = 0
        switch role {
        case "write":
            signal(SIGPIPE, SIG_IGN)
            let floats = recordKib * 256
            let payload = (0..<floats).map { Float($0 % 1000) * 0.001 }
            let writer = try RecordStreamWriter(fileDescriptor: STDOUT_FILENO, name: "stdout")
            let target = megabytes << 20
            try payload.withUnsafeBufferPointer { p in
                while bytes < target {
                    try writer.write(kind: "views", ids: ["checkpoint": records], shape: [floats], floats: p)
                    bytes += floats * 4
                    records += 1
                }
            }
            try writer.finish()
        case "read":
            let reader = try RecordStreamReader(fileDescriptor: STDIN_FILENO, name: "stdin")
            var values: [Float] = []
            while let header = try reader.nextFloats(into: &values) {
                bytes += header.payloadByteCount!
                records += 1
            }
        default:
            throw ValidationError("role must be write or read, not '\(role)'")
        }
        let seconds = Date().timeIntervalSince(start)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        let rate = String(format: "%.3f", Double(bytes) / seconds / 1e9)
        let line = "{\"role\":\"\(role)\",\"records\":\(records),\"bytes\":\(bytes),\"seconds\":\(String(format: "%.3f", seconds)),\"gb_per_s\":\(rate),\"cpu_seconds\":\(String(format: "%.3f", cpu)),\"gb_per_cpu_s\":\(String(format: "%.3f", Double(bytes) / cpu / 1e9))}\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}

StreamBench.main()
