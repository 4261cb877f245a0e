import Foundation
import Testing
@testable import HyperRep
import Nets
import Tensor
import ZooStore

@Suite struct PermutationSpecTests {
    @Test func cnnSSpecActsOnRowsChannelsAndFlattenBlocks() throws {
        let spec = try PermutationSpec(table: TestArchitectures.table(TestArchitectures.cnnS))
        #expect(spec.groups.map(\.name) == ["module_list.0", "module_list.3", "module_list.6", "module_list.9"])
        #expect(spec.groups.map(\.size) == [8, 6, 4, 20])
        // conv3 (4 channels of 3×3) → fc1 [20, 36]: axis 1 in blocks of 9.
        let flatten = spec.groups[2].actions.last!
        #expect(flatten.parameter == "module_list.9.weight" && flatten.axis == 1 && flatten.block == 9)
        // conv1 → conv2: input channels of [6, 8, 5, 5].
        let channels = spec.groups[0].actions.last!
        #expect(channels.parameter == "module_list.3.weight" && channels.axis == 1 && channels.block == 1)
        // The output layer is never permuted.
        #expect(!spec.groups.contains { $0.name == "module_list.11" })
    }

    @Test func specSurvivesJSON() throws {
        let spec = try PermutationSpec(table: TestArchitectures.table(TestArchitectures.cnnM))
        let decoded = try JSONDecoder().decode(PermutationSpec.self, from: JSONEncoder().encode(spec))
        #expect(decoded == spec)
        var broken = spec
        broken.groups[0].actions[0].block = 2
        #expect(throws: TokenizerError.self) { try PermutationSpec(parameterCount: broken.parameterCount, groups: broken.groups) }
    }

    @Test func gatherIndexIsAPermutationAndIdentityForIdentity() throws {
        let spec = try PermutationSpec(table: TestArchitectures.table(TestArchitectures.cnnS))
        #expect(spec.gatherIndex(permutations: spec.groups.map { Array(0..<$0.size) }) == spec.identityIndex)
        var stream = RandomStream(seed: 3, purpose: "test")
        let index = spec.randomGatherIndex(stream: &stream)
        #expect(index.sorted() == spec.identityIndex)
        #expect(index != spec.identityIndex)
    }
}

@Suite struct FunctionPreservationTests {
    static let architectures: [String: ArchitectureSpec] = [
        "cnn_s": .cnnS(), "cnn_m": .cnnM(channels: 3), "mlp": .mlp(hidden: [16, 12]),
    ]

    /// Logits [B, V] of `row` on `data` through the zoo's real forward pass (Nets), eval mode.
    static func logits(_ spec: ArchitectureSpec, row: [Float], data: ImageDataset) -> [Float] {
        let workspace = NetworkWorkspace(architecture: spec, capacity: data.count)
        workspace.loadBatch(from: data, indices: 0..<data.count)
        var unused = RandomStream(seed: 0, purpose: "eval")
        let out = row.withUnsafeBufferPointer { workspace.forward(row: $0.baseAddress!, batch: data.count, training: false, stream: &unused) }
        return Array(UnsafeBufferPointer(start: out, count: data.count * spec.classes))
    }

    static func images(for spec: ArchitectureSpec) throws -> ImageDataset {
        let data = try FashionMNISTSample.images(count: 4)
        return spec.inputChannels == 3 ? data.resized(height: 32, width: 32).repeatingChannels(3) : data
    }

    /// Outputs of randomly permuted networks equal the original's on real Fashion-MNIST images.
    @Test(arguments: ["cnn_s", "cnn_m", "mlp"])
    func permutedNetworksComputeTheSameFunction(_ label: String) throws {
        let spec = Self.architectures[label]!
        let table = spec.parameterTable
        let augmenter = try Augmenter(table: table, options: AugmentOptions(permute: true))
        let row = TestArchitectures.normalRow(count: table.parameterCount, seed: 11)
        let data = try Self.images(for: spec)
        let reference = Self.logits(spec, row: row, data: data)
        var maxDiff: Float = 0
        for v in 0..<3 {
            var stream = Augmenter.viewStream(seed: 5, epoch: 0, sample: 0, view: v)
            let permuted = augmenter.view(row, stream: &stream)
            #expect(permuted != row)
            #expect(permuted.sorted() == row.sorted())
            let out = Self.logits(spec, row: permuted, data: data)
            maxDiff = max(maxDiff, zip(reference, out).map { abs($0 - $1) }.max()!)
        }
        #expect(reference.map(abs).max()! > 0.1)  // the network computes something non-trivial
        #expect(maxDiff < 1e-5, "max |diff| \(maxDiff)")
    }

    /// The same check fails for a permutation that forgets the flatten blocks: the test can fail.
    @Test func aPermutationOfRowsAloneChangesTheFunction() throws {
        let spec = ArchitectureSpec.cnnS()
        let full = try PermutationSpec(table: spec.parameterTable)
        var group = full.groups[2]
        group.actions.removeLast()  // forget the flatten blocks of fc1
        let broken = try PermutationSpec(parameterCount: full.parameterCount, groups: [group])
        let row = TestArchitectures.normalRow(count: full.parameterCount, seed: 12)
        let permuted = broken.gatherIndex(permutations: [[1, 0, 3, 2]]).map { row[Int($0)] }
        let data = try Self.images(for: spec)
        let a = Self.logits(spec, row: row, data: data), b = Self.logits(spec, row: permuted, data: data)
        #expect(zip(a, b).map { abs($0 - $1) }.max()! > 1e-3)
    }

    /// The zoo's own tables agree with the paper's state_dict shapes used by the tokenizer tests.
    @Test func netsTablesMatchThePaperShapes() throws {
        #expect(ArchitectureSpec.cnnS().parameterTable == (try TestArchitectures.table(TestArchitectures.cnnS)))
        #expect(ArchitectureSpec.cnnM(channels: 3).parameterTable == (try TestArchitectures.table(TestArchitectures.cnnM)))
    }
}

@Suite struct AugmenterTests {
    static let table = try! TestArchitectures.table(TestArchitectures.cnnS)
    static let row = TestArchitectures.normalRow(count: 2464, seed: 21)

    @Test func viewsAreReproducibleAndTwoViewsDiffer() throws {
        let augmenter = try Augmenter(table: Self.table, options: AugmentOptions(permute: true, noise: 0.01, eraseProbability: 0.5))
        var s1 = Augmenter.viewStream(seed: 1, epoch: 0, sample: 4, view: 0)
        var s2 = Augmenter.viewStream(seed: 1, epoch: 0, sample: 4, view: 1)
        let a = augmenter.view(Self.row, stream: &s1), b = augmenter.view(Self.row, stream: &s2)
        #expect(a != b)
        var again = Augmenter.viewStream(seed: 1, epoch: 0, sample: 4, view: 0)
        #expect(augmenter.view(Self.row, stream: &again).map(\.bitPattern) == a.map(\.bitPattern))
    }

    @Test func additiveNoiseHasTheRequestedSpread() throws {
        let augmenter = try Augmenter(table: Self.table, options: AugmentOptions(permute: false, noise: 0.05))
        var stream = RandomStream(seed: 2, purpose: "t")
        let v = augmenter.view(Self.row, stream: &stream)
        let d = zip(v, Self.row).map { Double($0 - $1) }
        let mean = d.reduce(0, +) / Double(d.count)
        let std = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)).squareRoot()
        #expect(abs(mean) < 0.005 && abs(std - 0.05) < 0.005, "mean \(mean) std \(std)")
    }

    @Test func multiplicativeNoiseScalesEachValue() throws {
        let augmenter = try Augmenter(table: Self.table, options: AugmentOptions(permute: false, multiplicativeNoise: 0.1))
        var stream = RandomStream(seed: 2, purpose: "t")
        let v = augmenter.view(Self.row, stream: &stream)
        let ratios = zip(v, Self.row).map { Double($0 / $1) - 1 }
        let std = (ratios.map { $0 * $0 }.reduce(0, +) / Double(ratios.count)).squareRoot()
        #expect(abs(std - 0.1) < 0.01, "std \(std)")
    }

    @Test(arguments: EraseMode.allCases)
    func erasingFollowsThePaperDefaults(_ mode: EraseMode) throws {
        let augmenter = try Augmenter(table: Self.table, options: AugmentOptions(permute: false, eraseProbability: 0.5, eraseMode: mode))
        var erasedViews = 0
        for i in 0..<200 {
            var stream = RandomStream(seed: 9, purpose: "erase", index: UInt64(i))
            let v = augmenter.view(Self.row, stream: &stream)
            let zeros = zip(v, Self.row).enumerated().filter { $0.element.0 == 0 && $0.element.1 != 0 }.map(\.offset)
            guard !zeros.isEmpty else { continue }
            erasedViews += 1
            #expect(zeros.count <= Int(0.33 * 2464))
            if mode == .block {
                #expect(zeros.count >= Int(0.02 * 2464) - 1)
                #expect(zeros.last! - zeros.first! == zeros.count - 1)  // one contiguous block
            }
            // Values that were not erased are untouched.
            #expect(zip(v, Self.row).allSatisfy { $0 == 0 || $0 == $1 })
        }
        #expect((70...130).contains(erasedViews), "\(erasedViews) of 200 views erased at p = 0.5")
    }

    @Test func permutationBankDrawsFromPrecomputedIndices() throws {
        let augmenter = try Augmenter(table: Self.table, options: AugmentOptions(permute: true, permutationBank: 4), bankSeed: 7)
        #expect(augmenter.bank.count == 4 * 2464)
        var seen = Set<[Float]>()
        for i in 0..<40 {
            var stream = RandomStream(seed: 1, purpose: "bank", index: UInt64(i))
            seen.insert(augmenter.view(Self.row, stream: &stream))
        }
        #expect(seen.count == 4)
    }

    @Test func canonicalFormIsPermutationInvariant() throws {
        let permuter = try Augmenter(table: Self.table, options: AugmentOptions(permute: true))
        let canon = try Augmenter(table: Self.table, options: AugmentOptions(permute: false, canonical: true))
        // The canonical form of the original row: its neurons gathered in canonical order.
        let reference = Self.row.withUnsafeBufferPointer { r in canon.canonicalIndex(row: r).map { r[Int($0)] } }
        for i in 0..<5 {
            var stream = RandomStream(seed: 4, purpose: "canon", index: UInt64(i))
            let permuted = permuter.view(Self.row, stream: &stream)
            var unused = RandomStream(seed: 0, purpose: "unused")
            #expect(canon.view(permuted, stream: &unused) == reference)
        }
        #expect(throws: TokenizerError.self) { try AugmentOptions(permute: true, canonical: true).validate() }
    }
}
