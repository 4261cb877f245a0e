// hz-bench-storage: the storage benchmark driver (tools/bench/bench-storage runs it; not a product).
//
//   hz-bench-storage generate NPY [--models 1000 --epochs 51 --params 2464]
//       synthetic CNN-s-sized zoo as a float32 .npy [models*epochs, params], written streaming
//   hz-bench-storage write NPY OUT.h5 [--epochs 51] [--compress]
//       ZooWriter: one model per `epochs` consecutive rows, rows read from NPY with pread
//   hz-bench-storage read ZOO.h5 [--batch 64]
//       ZooReader: stream every row in batches, summing them (so nothing is optimised away)
//   hz-bench-storage resume ZOO.h5
//       continue an interrupted write (e.g. killed with kill -9) and finish it
//   hz-bench-storage memcpy [--megabytes 256]
//       the machine's copy bandwidth, the ceiling for a read from the page cache
//   hz-bench-storage ceiling [--repeats 5]
//       the machine ceiling: OpenBLAS sgemm GFLOP/s (n = 1024, 2048 on 1 and 2 threads) and memcpy GB/s
//   hz-bench-storage sgemm [--n 1024] [--threads 1] [--repeats 5]
//       one sgemm case of the ceiling (tools/bench/bench-zoo)
// Each prints one JSON line. Peak memory is measured from outside with /usr/bin/time -v.
import BenchmarkCeiling
import Foundation
import HDF5
import ZooStore

func option(_ name: String, _ args: [String], default value: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return value }
    return v
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("hz-bench-storage: \(message)\n".utf8))
    exit(1)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// The CNN-s parameter table (2464 parameters) or a single-tensor table of another size.
func benchTable(params: Int) throws -> ParameterTable {
    if params == 2464 {
        return try ParameterTable(stateDict: [
            ("module_list.0.weight", [8, 1, 5, 5]), ("module_list.0.bias", [8]),
            ("module_list.3.weight", [6, 8, 5, 5]), ("module_list.3.bias", [6]),
            ("module_list.6.weight", [4, 6, 2, 2]), ("module_list.6.bias", [4]),
            ("module_list.9.weight", [20, 36]), ("module_list.9.bias", [20]),
            ("module_list.11.weight", [10, 20]), ("module_list.11.bias", [10]),
        ])
    }
    return try ParameterTable(stateDict: [("w.weight", [params, 1])])
}

/// A minimal .npy (v1, '<f4', C order, 2-D) header.
func npyHeader(rows: Int, columns: Int) -> Data {
    var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    while (10 + dict.utf8.count + 1) % 64 != 0 { dict += " " }
    dict += "\n"
    var header = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(dict.utf8.count)
    header.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
    header.append(Data(dict.utf8))
    return header
}

/// Reads the shape and data offset of a 2-D float32 .npy written by numpy or `generate`.
func npyLayout(_ handle: FileHandle) -> (rows: Int, columns: Int, offset: Int) {
    let prefix = handle.readData(ofLength: 10)
    guard prefix.count == 10, prefix.starts(with: [0x93] + Array("NUMPY".utf8)), prefix[6] == 1 else { fail("not a v1 .npy file") }
    let length = Int(prefix[8]) | Int(prefix[9]) << 8
    let dict = String(decoding: handle.readData(ofLength: length), as: UTF8.self)
    guard dict.contains("'<f4'"), dict.contains("'fortran_order': False"),
          let open = dict.range(of: "'shape': ("), let close = dict[open.upperBound...].firstIndex(of: ")") else {
        fail("expected a C-order float32 .npy")
    }
    let dims = dict[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard dims.count == 2 else { fail("expected a 2-D .npy, found shape \(dims)") }
    return (dims[0], dims[1], 10 + length)
}

/// Sum with eight independent lanes (vectorised), as numpy's pairwise sum is on the peer side.
func sum(_ values: UnsafeBufferPointer<Float>) -> Float {
    var lanes = SIMD8<Float>()
    let whole = values.count / 8 * 8
    let base = UnsafeRawPointer(values.baseAddress!)
    for i in stride(from: 0, to: whole, by: 8) {
        lanes += base.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
    }
    var total = lanes.sum()
    for i in whole..<values.count { total += values[i] }
    return total
}

let args = Array(CommandLine.arguments.dropFirst())
guard let mode = args.first else { fail("usage: hz-bench-storage generate|write|read|resume|memcpy|ceiling|sgemm ... (see the source header)") }

switch mode {
case "generate":
    guard args.count >= 2 else { fail("generate NPY") }
    let models = option("--models", args, default: 1000), epochs = option("--epochs", args, default: 51)
    let params = option("--params", args, default: 2464)
    _ = FileManager.default.createFile(atPath: args[1], contents: nil)
    guard let out = FileHandle(forWritingAtPath: args[1]) else { fail("cannot write \(args[1])") }
    out.write(npyHeader(rows: models * epochs, columns: params))
    // Each model: a random start, then small random steps per epoch (like training drift).
    var state: UInt64 = 0x5EED
    func uniform() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) - 0.5
    }
    var row = [Float](repeating: 0, count: params)
    var block = [Float](repeating: 0, count: epochs * params)
    let elapsed = seconds {
        for _ in 0..<models {
            for j in 0..<params { row[j] = uniform() * 0.4 }
            for e in 0..<epochs {
                for j in 0..<params { row[j] += uniform() * 0.01 }
                block.withUnsafeMutableBufferPointer { b in for j in 0..<params { b[e * params + j] = row[j] } }
            }
            block.withUnsafeBytes { out.write(Data($0)) }
        }
    }
    try out.close()
    emit(["op": "generate", "rows": models * epochs, "params": params, "seconds": elapsed])

case "write":
    guard args.count >= 3 else { fail("write NPY OUT.h5 [--epochs 51] [--compress]") }
    let epochs = option("--epochs", args, default: 51)
    let compress = args.contains("--compress")
    guard let input = FileHandle(forReadingAtPath: args[1]) else { fail("cannot read \(args[1])") }
    let (rows, params, offset) = npyLayout(input)
    let models = rows / epochs
    let table = try benchTable(params: params)
    try? FileManager.default.removeItem(atPath: args[2])
    var block = [Float](repeating: 0, count: epochs * params)
    let fd = input.fileDescriptor
    do {
        let elapsed = try seconds {
            let writer = try ZooWriter.create(path: args[2], architecture: "cnn_s", table: table, overwrite: true,
                                              compression: compress ? .gzip : nil)
            for m in 0..<models {
                let bytes = block.count * 4
                let got = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, bytes, off_t(offset + m * bytes)) }
                guard got == bytes else { fail("short read from \(args[1])") }
                let id = "m\(m)"
                try writer.addModel(ModelRecord(id: id, seed: m, dataset: "synthetic", split: .train))
                try block.withUnsafeBufferPointer { b in
                    for e in 0..<epochs {
                        try writer.appendCheckpoint(model: id, epoch: e, row: UnsafeBufferPointer(rebasing: b[(e * params)..<((e + 1) * params)]),
                                                    metrics: CheckpointMetrics(testAccuracy: Float(e) / Float(epochs)))
                    }
                }
            }
            try writer.finish()
        }
        let megabytes = Double(models * epochs * params * 4) / 1e6
        let fileMB = Double((try FileManager.default.attributesOfItem(atPath: args[2])[.size] as? Int) ?? 0) / 1e6
        emit(["op": "write", "impl": "hyperzoo", "compressed": compress, "rows": models * epochs, "params": params,
              "seconds": elapsed, "MB_per_s": megabytes / elapsed, "file_MB": fileMB])
    } catch { fail("\(error)") }

case "read":
    guard args.count >= 2 else { fail("read ZOO.h5 [--batch 64]") }
    let batchSize = option("--batch", args, default: 64)
    do {
        var total = 0.0
        var rows = 0
        var params = 0
        let elapsed = try seconds {
            let reader = try ZooReader(path: args[1])
            params = reader.parameterCount
            var batches = reader.rows(batchSize: batchSize)
            while let batch = try batches.next() {
                total += Double(sum(batch.values))
                rows += batch.rows.count
            }
        }
        let megabytes = Double(rows * params * 4) / 1e6
        emit(["op": "read", "impl": "hyperzoo", "rows": rows, "batch": batchSize, "seconds": elapsed,
              "MB_per_s": megabytes / elapsed, "checksum": total])
    } catch { fail("\(error)") }

case "resume":
    // Crash check: continue an interrupted `write` of ZOO.h5 (e.g. after kill -9) and finish it.
    guard args.count >= 2 else { fail("resume ZOO.h5") }
    do {
        let writer = try ZooWriter.resume(path: args[1], overwrite: true)
        let kept = writer.checkpointCount
        try writer.finish()
        emit(["op": "resume", "rows_kept": kept, "models_kept": writer.modelCount])
    } catch { fail("\(error)") }

case "memcpy":
    let megabytes = option("--megabytes", args, default: 256)
    emit(["op": "memcpy", "MB": megabytes, "GB_per_s": memcpyGBPerSecond(megabytes: megabytes)])

case "ceiling":
    // The machine ceiling of BENCHMARKS.md: sgemm on 1 and 2 OpenBLAS threads, then memcpy.
    let repeats = option("--repeats", args, default: 5)
    for n in [1024, 2048] {
        for threads in [1, 2] {
            let (best, median, perCPU) = sgemmGFLOPPerSecond(n: n, threads: threads, repeats: repeats)
            emit(["op": "sgemm", "n": n, "threads": threads, "repeats": repeats, "GFLOP_per_s_best": best,
                  "GFLOP_per_s_median": median, "GFLOP_per_cpu_s": perCPU])
        }
    }
    emit(["op": "memcpy", "MB": 256, "GB_per_s": memcpyGBPerSecond(megabytes: 256)])

case "sgemm":
    let n = option("--n", args, default: 1024), threads = option("--threads", args, default: 1)
    let repeats = option("--repeats", args, default: 5)
    let (best, median, perCPU) = sgemmGFLOPPerSecond(n: n, threads: threads, repeats: repeats)
    emit(["op": "sgemm", "n": n, "threads": threads, "repeats": repeats, "GFLOP_per_s_best": best,
          "GFLOP_per_s_median": median, "GFLOP_per_cpu_s": perCPU])

default:
    fail("unknown mode \(mode); use generate, write, read, resume, memcpy, ceiling or sgemm")
}
