// Groups: create/open/require, names, errors naming the object.
import Testing
import HDF5
import TestSupport

@Suite struct GroupTests {
    @Test func createOpenRequire() throws {
        let dir = TemporaryDirectory()
        let f = try File(path: dir.path("g.h5"), mode: .create)
        let b = try f.createGroup("a/b")
        #expect(b.name == "/a/b")
        #expect(f.contains("a") && f.contains("a/b") && !f.contains("a/c") && !f.contains("x/y"))
        let again = #expect(throws: HDF5Error.self) { try f.createGroup("a/b") }
        #expect(again?.kind == .alreadyExists)
        #expect(again?.object == "/a/b")
        #expect(try f.requireGroup("a/b").name == "/a/b")
        #expect(try f.requireGroup("a/c").name == "/a/c")
        #expect(try f.openGroup("a").names() == ["b", "c"])
        let missing = #expect(throws: HDF5Error.self) { try f.openGroup("nope") }
        #expect(missing?.kind == .notFound)
        #expect(missing?.description == "\(dir.path("g.h5")):/nope: no such object")
        try f.createDataset("a/d", data: [Float(1)])
        let notGroup = #expect(throws: HDF5Error.self) { try f.openGroup("a/d") }
        #expect(notGroup?.kind == .typeMismatch)
        #expect(throws: HDF5Error.self) { try f.openDataset("a/b") }
        try f.delete("a/c")
        #expect(!f.contains("a/c"))
        #expect(b.description == "<HDF5 group \"/a/b\" (0 members)>")
    }

    @Test func requireDatasetChecksShapeAndType() throws {
        let dir = TemporaryDirectory()
        let f = try File(path: dir.path("r.h5"), mode: .create)
        _ = try f.requireDataset("x", type: .float32, shape: [3, 4])
        #expect(try f.requireDataset("x", type: .float32, shape: [3, 4]).shape == [3, 4])
        let clash = #expect(throws: HDF5Error.self) { try f.requireDataset("x", type: .float64, shape: [3, 4]) }
        #expect(clash?.kind == .typeMismatch)
        #expect(clash?.message.contains("existing dataset (shape [3, 4], float32) vs requested (shape [3, 4], float64)") == true)
    }
}
