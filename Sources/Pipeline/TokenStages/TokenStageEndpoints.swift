// Where a token stage reads and writes: the file-format sniffing shared by hz-tokenize,
// hz-augment and hz-train --views. An input is `-` (a record stream on stdin), a record-stream
// file, a zoo or population .h5 (with a selection), or a token/view .h5; an output is `-`
// (stdout), FILE.h5 (HDF5) or any other FILE (a record-stream file).
import FileIO
import Foundation
import HDF5
import ZooStore
#if canImport(Glibc)
import Glibc
#endif

public enum TokenStageEndpoints {
    /// A source for `path`, the number of samples when known, and whether it reads a zoo.
    public static func openInput(_ path: String, selection: ZooSelection) throws -> (source: RecordSource, total: Int?, fromZoo: Bool) {
        if path == "-" { return (try RecordStreamReader(fileDescriptor: STDIN_FILENO, name: "stdin"), nil, false) }
        guard access(path, F_OK) == 0 else {
            throw ZooStoreError(.notFound, path: path, message: "no such file (pass a zoo .h5, a token file, or - for stdin)")
        }
        // Never blocks: a FIFO or device is refused before anything reads it (pipe with -).
        let opened = try openRegularFile(atPath: path)
        var head = [UInt8](repeating: 0, count: 8)
        let got = read(opened.descriptor, &head, 8)
        close(opened.descriptor)
        head = Array(head.prefix(max(got, 0)))
        if RecordStreamReader.hasMagic(head) { return (try RecordStreamReader(path: path), nil, false) }
        guard HDF5Library.isHDF5(path: path) else {
            throw ZooStoreError(.notHDF5, path: path, message: "neither HDF5 nor a hyperzoo record stream")
        }
        let format = try File(path: path, mode: .readOnly).attributes["format"]?.stringValue ?? "(none)"
        switch format {
        case ZooFormat.zoo.rawValue, ZooFormat.population.rawValue:
            let zoo = try ZooRecordSource(path: path, selection: selection)
            return (zoo, zoo.rows.count, true)
        case "hyperzoo.tokens", "hyperzoo.views":
            return (try TokenFileSource(path: path), nil, false)
        default:
            throw ZooStoreError(.foreignFormat, path: path, object: "/", message: "attribute format is '\(format)'; expected a zoo, population or token file")
        }
    }

    /// A sink for `output`; an existing file is replaced only with `force` (and survives until
    /// the new one is complete).
    public static func openOutput(_ output: String, force: Bool) throws -> RecordSink {
        signal(SIGPIPE, SIG_IGN)  // a closed pipe becomes a clear error instead of a silent kill
        if output == "-" { return try RecordStreamWriter(fileDescriptor: STDOUT_FILENO, name: "stdout") }
        if output.hasSuffix(".h5") || output.hasSuffix(".hdf5") {
            return try TokenFileSink(path: output, overwrite: force)
        }
        if !force, FileManager.default.fileExists(atPath: output) {
            throw ZooStoreError(.exists, path: output, message: "output exists; not overwritten (pass --force to replace it)")
        }
        return try RecordStreamWriter(path: output)
    }
}
