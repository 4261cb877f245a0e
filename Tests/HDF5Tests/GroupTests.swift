// Groups: create/open/require, names, errors naming the object.
import Foundation
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
        #expect(notGroup?.message == "expected a group, found a dataset")
        let notDataset = #expect(throws: HDF5Error.self) { try f.openDataset("a/b") }
        #expect(notDataset?.kind == .typeMismatch)
        #expect(notDataset?.message == "expected a dataset, found a group")
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

    static let python = ProcessInfo.processInfo.environment["HYPERZOO_PYTHON"]

    /// h5py's default (track_order=False) keeps no creation-order index: a group's members are
    /// then listed by name, not in the order they were written.
    @Test(.enabled(if: python != nil, "HYPERZOO_PYTHON is unset: run tools/test (it creates .venv-test with h5py)"))
    func namesFallBackToNameOrderWithoutACreationOrderIndex() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("untracked.h5")
        let script = """
            import h5py, sys
            with h5py.File(sys.argv[1], "w", track_order=False, libver="latest") as f:
                for name in ("zeta", "alpha", "mid"):
                    f.create_group(name)
                for i in (9, 3, 7, 1, 5, 0, 8, 2, 6, 4):
                    f.attrs[f"k{i}"] = i
            """
        let (status, _, stderr) = try ToolRunner.runProcess(URL(fileURLWithPath: Self.python!), ["-c", script, path])
        #expect(status == 0, "h5py failed: \(stderr)")
        let f = try File(path: path)
        let (members, attributes) = (try f.names(), try f.attributes.names())
        #expect(members == ["alpha", "mid", "zeta"])
        // Attributes come in libhdf5's storage order (neither by name nor as written): all of them.
        #expect(attributes.sorted() == (0..<10).map { "k\($0)" })

        // Our own files track creation order, so the same writes list as written.
        let ours = try File(path: dir.path("tracked.h5"), mode: .create)
        for name in ["zeta", "alpha", "mid"] { try ours.createGroup(name) }
        try ours.attributes.set("z", 1)
        try ours.attributes.set("a", 2)
        #expect(try ours.names() == ["zeta", "alpha", "mid"])
        #expect(try ours.attributes.names() == ["z", "a"])
        let group = try ours.openGroup("alpha")
        try group.attributes.set("z", 1)
        try group.attributes.set("a", 2)
        #expect(try group.attributes.names() == ["z", "a"])
    }
}
