// Files: modes, bad inputs, deterministic closing.
import Foundation
import Testing
import HDF5
import TestSupport

@Suite struct FileTests {
    @Test func modesFollowH5py() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("a.h5")
        // r on a missing file: notFound, naming the file.
        let missing = #expect(throws: HDF5Error.self) { try File(path: path, mode: .readOnly) }
        #expect(missing?.kind == .notFound)
        #expect(missing?.description.hasPrefix(path) == true)

        do {
            let f = try File(path: path, mode: .createExclusive)
            try f.createGroup("g")
        }
        // w- on an existing file: alreadyExists, file untouched.
        let exists = #expect(throws: HDF5Error.self) { try File(path: path, mode: .createExclusive) }
        #expect(exists?.kind == .alreadyExists)
        #expect(try File(path: path, mode: .readOnly).contains("g"))
        // r refuses writes.
        let readOnly = try File(path: path, mode: .readOnly)
        #expect(throws: HDF5Error.self) { try readOnly.createGroup("h") }
        readOnly.close()
        // r+ writes; w truncates.
        try File(path: path, mode: .readWrite).createGroup("h")
        #expect(try File(path: path).names() == ["g", "h"])
        _ = try File(path: path, mode: .create)
        #expect(try File(path: path).names().isEmpty)
    }

    @Test func nonHDF5AndTruncatedFilesAreOneClearError() throws {
        let dir = TemporaryDirectory()
        let text = dir.path("text.h5")
        try "hello, not hdf5".write(toFile: text, atomically: true, encoding: .utf8)
        let notHDF5 = #expect(throws: HDF5Error.self) { try File(path: text) }
        #expect(notHDF5?.kind == .invalidFile)
        #expect(notHDF5?.description.contains("not an HDF5 file") == true)

        let good = dir.path("good.h5")
        do {
            let f = try File(path: good, mode: .create)
            try f.createDataset("x", data: [Float](repeating: 1, count: 100_000))
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let truncated = dir.path("truncated.h5")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        let failure = #expect(throws: HDF5Error.self) { try File(path: truncated) }
        #expect(failure?.kind == .invalidFile)
        #expect(failure?.file == truncated)
        // HDF5's root cause travels with the error, on one line.
        #expect(failure?.hdf5Message?.isEmpty == false)
        #expect(failure?.description.contains("\n") == false)
    }

    /// A FIFO, a folder or a device is refused before libhdf5 opens it: opening a FIFO with no
    /// writer would block forever (the hostile corpus's fifo-zoo-export case hung CI).
    @Test(.timeLimit(.minutes(1))) func nonRegularFilesAreRefusedWithoutBlocking() throws {
        let dir = TemporaryDirectory()
        let fifo = dir.path("zoo.h5")
        #expect(mkfifo(fifo, 0o644) == 0)
        for mode in [FileMode.readOnly, .readWrite, .create] {
            let failure = #expect(throws: HDF5Error.self) { try File(path: fifo, mode: mode) }
            #expect(failure?.kind == .invalidFile)
            #expect(failure?.description.contains("FIFO") == true, "\(String(describing: failure))")
        }
        #expect(!HDF5Library.isHDF5(path: fifo))
        let folder = #expect(throws: HDF5Error.self) { try File(path: dir.path("")) }
        #expect(folder?.description.contains("a folder") == true)
        let device = #expect(throws: HDF5Error.self) { try File(path: "/dev/null") }
        #expect(device?.description.contains("character device") == true)
    }

    /// 15.11: a file another process holds open for writing (libhdf5's flock) is named as such,
    /// not called truncated or corrupt (a stage left running by a killed hz-pipeline held it).
    @Test(.timeLimit(.minutes(1))) func aFileLockedByAnotherProcessIsNamedAsSuch() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("zoo.h5")
        try File(path: path, mode: .create).createGroup("g")
        let holder = Process()
        // One process holds the lock (sleep inherits descriptor 9 from the shell it replaces), so
        // terminating it releases the lock at once.
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "exec 9>>\"$0\" && flock -x 9 && exec sleep 30", path]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        // Wait until the lock is taken (flock -n fails while it is held).
        var held = false
        for _ in 0..<200 where !held {
            let probe = open(path, O_RDONLY)
            held = flock(probe, LOCK_SH | LOCK_NB) != 0
            close(probe)
            if !held { usleep(20_000) }
        }
        try #require(held, "flock did not take the lock")
        for mode in [FileMode.readOnly, .readWrite] {
            let failure = #expect(throws: HDF5Error.self) { try File(path: path, mode: mode) }
            #expect(failure?.kind == .io)
            #expect(failure?.description == "\(path): is open in another process that is writing it (HDF5 file lock); wait for that process or stop it (fuser \(path) names it)", "\(String(describing: failure))")
        }
        holder.terminate(); holder.waitUntilExit()
        #expect(try File(path: path).contains("g"))
    }

    @Test func descriptorsAreNotInheritedByChildProcesses() throws {
        // libhdf5's sec2 driver opens without O_CLOEXEC; a child started by a parallel test would
        // inherit the descriptor and its flock, and a reopen for writing (below, and in every
        // stage's resume) would then see "open in another process". File sets FD_CLOEXEC.
        let dir = TemporaryDirectory()
        let path = dir.path("e.h5")
        for mode in [FileMode.create, .readOnly, .readWrite] {
            let f = try File(path: path, mode: mode)
            let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap { Int32($0) }
            let mine = fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path }
            #expect(!mine.isEmpty, "\(mode): no descriptor for \(path)")
            for fd in mine { #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0, "\(mode): fd \(fd) is inherited by children") }
            f.close()
        }
    }

    @Test func closingLeavesNoOpenHandles() throws {
        // Per-file counts: other tests run in parallel and hold their own files open. Their child
        // processes cannot hold this file's lock: its descriptor is close-on-exec (see above).
        let dir = TemporaryDirectory()
        let f = try File(path: dir.path("c.h5"), mode: .create)
        #expect(f.openObjectCount == 2)  // the file and its root group
        do {
            let g = try f.createGroup("a/b")
            let d = try g.createDataset("d", data: [Int32](1...10))
            try d.attributes.set("unit", "count")
            _ = try d.attributes.value("unit")
            _ = try d.read(as: Int32.self)
            _ = try d.shape
            _ = try d.chunks
            _ = try f.attributes.names()
            _ = try f.names()
            #expect(f.openObjectCount == 4)
        }
        #expect(f.openObjectCount == 2)
        f.close()

        // An explicit close closes every object of the file, even ones still referenced.
        let r = try File(path: dir.path("c.h5"), mode: .readOnly)
        let d = try r.openDataset("a/b/d")
        #expect(r.openObjectCount == 3)
        r.close()
        #expect(r.openObjectCount == 0)
        #expect(!d.isOpen)
        let closed = #expect(throws: HDF5Error.self) { try d.read(as: Int32.self) }
        #expect(closed?.kind == .closed)
        #expect(r.description == "<Closed HDF5 file>")
        // The file can be reopened for writing, so no handle kept it open.
        try File(path: dir.path("c.h5"), mode: .readWrite).close()
    }

    @Test func linkedLibraryHasDeflateAndAVersion() {
        #expect(HDF5Library.hasDeflate)
        #expect(HDF5Library.version.hasPrefix("1."))
    }
}

extension FileTests {
    /// The same content written twice, seconds apart, gives the same bytes: object headers hold
    /// no modification times, intermediate groups included (reruns equal first runs, digests
    /// and caches see no change).
    @Test func sameContentWrittenLaterGivesTheSameBytes() throws {
        let dir = TemporaryDirectory()
        func write(_ path: String) throws {
            let file = try File(path: path, mode: .create)
            try file.attributes.set("kind", "test")
            let group = try file.createGroup("a/b/c")
            try group.createDataset("values", data: [Float(1), 2, 3])
            try file.createDataset("x/y/strings", strings: ["one", "two"])
            file.close()
        }
        try write(dir.path("first.h5"))
        sleep(1)
        usleep(200_000)
        try write(dir.path("second.h5"))
        let first = try Data(contentsOf: dir.url.appendingPathComponent("first.h5"))
        let second = try Data(contentsOf: dir.url.appendingPathComponent("second.h5"))
        #expect(first == second, "HDF5 files of equal content differ in \(zip(first, second).filter { $0 != $1 }.count) bytes")
    }
}
