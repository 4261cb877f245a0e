// Datasets: every element type round-trips, chunking and compression, row ranges, appending.
import Testing
import HDF5
import TestSupport

@Suite struct DatasetTests {
    func roundTrip<T: HDF5Numeric & Equatable>(_ values: [T], _ type: ElementType, in f: File) throws {
        let d = try f.createDataset("\(type)", data: values, shape: [2, values.count / 2])
        #expect(try d.elementType == type)
        #expect(try d.shape == [2, values.count / 2])
        #expect(try f.openDataset("\(type)").read(as: T.self) == values)
    }

    @Test func everyElementTypeRoundTrips() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("types.h5")
        do {
            let f = try File(path: path, mode: .create)
            try roundTrip([Float(1.5), -2, .infinity, 3e-38, 0, 7], .float32, in: f)
            try roundTrip([Double.pi, -1e300, 0, 1], .float64, in: f)
            try roundTrip([Int32.min, -1, 0, .max], .int32, in: f)
            try roundTrip([Int64.min, -1, 0, .max], .int64, in: f)
            try roundTrip([UInt8(0), 1, 128, 255], .uint8, in: f)
            try roundTrip([Float16(0.5), -2, 65504, 0.000061035156], .float16, in: f)
            try f.createDataset("names", strings: ["module_list.0.weight", "", "Grüße ✓"])
        }
        let f = try File(path: path)
        #expect(try f.openDataset("names").readStrings() == ["module_list.0.weight", "", "Grüße ✓"])
        #expect(try f.openDataset("names").readStrings(rows: 1..<3) == ["", "Grüße ✓"])
        // HDF5 converts on read like h5py's astype.
        #expect(try f.openDataset("float16").read(as: Float.self) == [0.5, -2, 65504, 0.000061035156])
        let strings = #expect(throws: HDF5Error.self) { try f.openDataset("names").read(as: Float.self) }
        #expect(strings?.kind == .typeMismatch)
        #expect(try f.openDataset("float32").description == "<HDF5 dataset \"float32\": shape (2, 3), type float32>")
    }

    @Test func chunkedCompressedRowRangesAndAppend() throws {
        let dir = TemporaryDirectory()
        let f = try File(path: dir.path("rows.h5"), mode: .create)
        let d = try f.createDataset("w", type: .float32, shape: [0, 5], maxShape: [nil, 5], chunks: [4, 5],
                                    compression: .gzip)
        #expect(try d.chunks == [4, 5])
        #expect(try d.compression == DatasetCompression(deflateLevel: 4, shuffle: true))
        #expect(try d.maxShape == [nil, 5])
        let rows = (0..<10).map { r in (0..<5).map { Float(r * 10 + $0) } }
        #expect(try d.append(rows[0..<3].flatMap { $0 }) == 0..<3)
        #expect(try d.append(rows[3..<10].flatMap { $0 }) == 3..<10)
        #expect(try d.shape == [10, 5])
        #expect(try d.read(rows: 2..<7, as: Float.self) == rows[2..<7].flatMap { $0 })
        var buffer = [Float](repeating: -1, count: 10)
        try buffer.withUnsafeMutableBufferPointer { try d.read(rows: 8..<10, into: $0) }
        #expect(buffer == rows[8..<10].flatMap { $0 })
        try d.write([Float](repeating: 0, count: 5), rows: 4..<5)
        #expect(try d.read(rows: 4..<5, as: Float.self) == [0, 0, 0, 0, 0])
        // Out-of-range rows, wrong buffer sizes and resizing past maxShape are argument errors.
        #expect(throws: HDF5Error.self) { try d.read(rows: 9..<11, as: Float.self) }
        #expect(throws: HDF5Error.self) { try d.write([Float](repeating: 0, count: 4), rows: 0..<1) }
        let fixed = try f.createDataset("fixed", data: [Float](repeating: 0, count: 4))
        let resize = #expect(throws: HDF5Error.self) { try fixed.resize(to: [5]) }
        #expect(resize?.kind == .invalidArgument)
        let s = try f.createDataset("s", strings: [], maxShape: [nil], chunks: [16])
        try s.appendStrings(["a", "b"])
        try s.appendStrings(["c"])
        #expect(try s.readStrings() == ["a", "b", "c"])
    }
}
