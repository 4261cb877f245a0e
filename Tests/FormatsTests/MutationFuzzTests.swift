// A seeded mutation fuzzer over every reader: valid fixtures are corrupted (bit flips, random
// bytes, truncation, extreme integers spliced in, chunks duplicated) and read back. A reader may
// accept or refuse a mutant, but must never crash, hang or throw anything but FormatError.
// Bounded: a fixed number of mutants per seed file, a few seconds in a debug build.
// Longer runs: tools/check/fuzz-formats sets HYPERZOO_FUZZ_ITERATIONS (mutants per seed file).
import Foundation
import Testing
import TestSupport
@testable import Formats

/// SplitMix64: small, seeded, reproducible.
struct FuzzRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

enum Mutator {
    static let extremes: [[UInt8]] = [
        [0xFF, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0x7F], [0, 0, 0, 0x80], [0, 0, 0, 0],
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0, 0, 0, 0, 0x40], [0xFE, 0xFF],
    ]

    static func mutate(_ input: [UInt8], _ rng: inout FuzzRandom) -> [UInt8] {
        var b = input
        for _ in 0...rng.below(3) {
            guard !b.isEmpty else { break }
            let at = rng.below(b.count)
            switch rng.below(6) {
            case 0: b[at] ^= UInt8(1 << rng.below(8))
            case 1: for i in at..<min(b.count, at + 1 + rng.below(8)) { b[i] = UInt8(truncatingIfNeeded: rng.next()) }
            case 2: b.removeSubrange(min(b.count, at + 1)...)
            case 3:
                let e = extremes[rng.below(extremes.count)]
                for (i, v) in e.enumerated() where at + i < b.count { b[at + i] = v }
            case 4:
                let n = min(b.count - at, 1 + rng.below(32))
                b.insert(contentsOf: b[at..<(at + n)], at: rng.below(b.count))
            default: b[at] = [0x80, 0x63, 0x52, 0x51, 0x71, 0x68, 0x28, 0x2E, 0x8A, 0x95][rng.below(10)] // pickle opcodes
            }
        }
        return b
    }
}

@Suite struct MutationFuzzTests {
    /// Mutants per seed file (300 by default: a few seconds in a debug build).
    static let iterations = ProcessInfo.processInfo.environment["HYPERZOO_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 300
    /// Seed offset, so long runs can explore different mutants (HYPERZOO_FUZZ_SEED).
    static let seed = ProcessInfo.processInfo.environment["HYPERZOO_FUZZ_SEED"].flatMap(UInt64.init) ?? 0

    static let seeds: [(file: String, read: @Sendable (String) throws -> Void)] = [
        ("dtypes.pt", { _ = try TorchCheckpoint.read(path: $0) }),
        ("views.pt", { _ = try TorchCheckpoint.read(path: $0) }),
        ("nested.pt", { _ = try TorchCheckpoint.read(path: $0) }),
        ("legacy.pt", { _ = try TorchCheckpoint.read(path: $0) }),
        ("proto4.pt", { _ = try TorchCheckpoint.read(path: $0) }),
        ("deflated.npz", { _ = try NumpyArchive.read(path: $0) }),
        ("f64_fortran.npy", { _ = try NumpyArray.read(path: $0) }),
        ("sample.safetensors", { _ = try Safetensors.read(path: $0) }),
    ]

    @Test(arguments: 0..<seeds.count)
    func readersSurviveMutants(_ which: Int) throws {
        let (file, read) = Self.seeds[which]
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: FixtureManifest.path(file))))
        let dir = TemporaryDirectory()
        let path = dir.path("mutant")
        var rng = FuzzRandom(state: 0xC0FFEE &+ UInt64(which) &+ Self.seed &* 1000)
        var refused = 0, accepted = 0
        for _ in 0..<Self.iterations {
            let mutant = Mutator.mutate(original, &rng)
            _ = FileManager.default.createFile(atPath: path, contents: Data(mutant))
            do {
                try read(path)
                accepted += 1
            } catch is FormatError {
                refused += 1
            } catch {
                Issue.record("\(file): a mutant raised \(type(of: error)): \(error)")
            }
        }
        // The fuzzer must actually reach the error paths (a no-op mutator would pass silently).
        #expect(refused > Self.iterations / 10, "\(file): only \(refused) of \(Self.iterations) mutants refused")
    }

    @Test func pickleMachineSurvivesMutatedPickles() throws {
        let zip = try ZipArchive(path: FixtureManifest.path("nested.pt"))
        let entry = try #require(zip.entries.first { $0.name.hasSuffix("data.pkl") })
        let pickle = try zip.contents(of: entry)
        var rng = FuzzRandom(state: 42 &+ Self.seed)
        var outcomes = [0, 0, 0]
        for _ in 0..<(Self.iterations * 5) {
            var machine = PickleMachine(bytes: Mutator.mutate(pickle, &rng), file: "fuzz", object: "data.pkl")
            do {
                let root = try machine.run(hooks: TorchPickleHooks())
                _ = try? TorchSelection.select(root, in: machine.arena, file: "fuzz", limits: .init())
                outcomes[0] += 1
            } catch is PickleMachine.OutOfBytes {
                outcomes[1] += 1
            } catch is FormatError {
                outcomes[2] += 1
            } catch {
                Issue.record("unexpected \(type(of: error)): \(error)")
            }
        }
        #expect(outcomes[2] > Self.iterations / 3, "outcomes \(outcomes)")
    }

    /// .npy headers mutated with brackets spliced in (the nesting that once recursed): the
    /// parser must refuse or accept, never crash, however deep the brackets go.
    @Test func npyHeaderParserSurvivesNesting() throws {
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }".utf8)
        var rng = FuzzRandom(state: 7 &+ Self.seed)
        var refused = 0
        for _ in 0..<(Self.iterations * 3) {
            var mutant = Mutator.mutate(header, &rng)
            let at = rng.below(mutant.count + 1)
            let run = [UInt8](repeating: Array("({[".utf8)[rng.below(3)], count: 1 + rng.below(20_000))
            mutant.insert(contentsOf: run, at: at)
            do { _ = try NumpyArray.parseHeader(mutant, file: "fuzz", object: nil) } catch is FormatError { refused += 1 }
        }
        #expect(refused > Self.iterations)
    }

    /// Random views with size-1 axes and extreme strides and offsets: gathered or refused with
    /// GatherFailure, never an overflow trap; a size-1 axis's stride never matters.
    @Test func stridedGatherSurvivesExtremeStrides() throws {
        let storage = [UInt8](repeating: 1, count: 64 * 4)
        var rng = FuzzRandom(state: 99 &+ Self.seed)
        let extremes = [0, 1, 2, 7, Int.max, Int.max / 2, 1 << 62, 1 << 40, -1]
        var gathered = 0
        for _ in 0..<(Self.iterations * 10) {
            let rank = 1 + rng.below(4)
            let shape = (0..<rank).map { _ in [1, 1, 2, 3, 4, 0, Int.max][rng.below(7)] }
            let strides = (0..<rank).map { _ in extremes[rng.below(extremes.count)] }
            let offset = [0, 1, 63, 64, Int.max][rng.below(5)]
            do {
                let out = try storage.withUnsafeBytes {
                    try StridedGather.gather(storage: $0, storageCount: 64, itemSize: 4, offset: offset, shape: shape, strides: strides)
                }
                gathered += 1
                if shape.allSatisfy({ $0 == 1 }) { #expect(out.count == 4) }
            } catch is GatherFailure {}
        }
        #expect(gathered > 0)
    }
}
