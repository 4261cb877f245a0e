import Foundation
import Testing
@testable import HyperRep
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
    static let cases: [(label: String, ops: [ReferenceOp], channels: Int, side: Int)] = [
        ("cnn_s", ReferenceForward.cnnS, 1, 28), ("cnn_m", ReferenceForward.cnnM, 3, 32), ("mlp", ReferenceForward.mlp, 1, 28),
    ]

    /// Outputs of randomly permuted networks equal the original's on real Fashion-MNIST images.
    @Test(arguments: cases.map(\.label))
    func permutedNetworksComputeTheSameFunction(_ label: String) throws {
        let c = Self.cases.first { $0.label == label }!
        let table = try TestArchitectures.table(TestArchitectures.all.first { $0.label == label }!.stateDict)
        let augmenter = try Augmenter(table: table, options: AugmentOptions(permute: true))
        let row = TestArchitectures.normalRow(count: table.parameterCount, seed: 11)
        let images = try FashionMNISTSample.images(count: 3).map { c.channels == 3 ? FashionMNISTSample.threeChannel32($0) : $0 }
        var maxDiff = 0.0
        for v in 0..<3 {
            var stream = Augmenter.viewStream(seed: 5, epoch: 0, sample: 0, view: v)
            let permuted = augmenter.view(row, stream: &stream)
            #expect(permuted != row)
            #expect(permuted.sorted() == row.sorted())
            for image in images {
                let a = ReferenceForward.run(c.ops, table: table, row: row, image: image, shape: (c.channels, c.side, c.side))
                let b = ReferenceForward.run(c.ops, table: table, row: permuted, image: image, shape: (c.channels, c.side, c.side))
                #expect(a.count == 10)
                maxDiff = max(maxDiff, zip(a, b).map { abs($0 - $1) }.max()!)
            }
        }
        #expect(maxDiff < 1e-5, "max |diff| \(maxDiff)")
    }

    /// The same check must fail for a permutation that ignores the next layer: the test can fail.
    @Test func aPermutationOfRowsAloneChangesTheFunction() throws {
        let table = try TestArchitectures.table(TestArchitectures.cnnS)
        let full = try PermutationSpec(table: table)
        var group = full.groups[2]
        group.actions.removeLast()  // forget the flatten blocks of fc1
        let broken = try PermutationSpec(parameterCount: full.parameterCount, groups: [group])
        let row = TestArchitectures.normalRow(count: table.parameterCount, seed: 12)
        let index = broken.gatherIndex(permutations: [[1, 0, 3, 2]])
        let permuted = index.map { row[Int($0)] }
        let image = try FashionMNISTSample.images(count: 1)[0]
        let a = ReferenceForward.run(ReferenceForward.cnnS, table: table, row: row, image: image, shape: (1, 28, 28))
        let b = ReferenceForward.run(ReferenceForward.cnnS, table: table, row: permuted, image: image, shape: (1, 28, 28))
        #expect(zip(a, b).map { abs($0 - $1) }.max()! > 1e-3)
    }
}

@Suite struct AugmenterTests {
    static let table = try! TestArchitectures.table(TestArchitectures.cnnS)
    static let row = TestArchitectures.normalRow(count: 2464, seed: 21)

    @Test func viewsAreReproducibleAndTwoViewsDiffer() throws {
        let augmenter = try Augmenter(table: Self.table, options: AugmentOptions(permute: true, noise: 0.01, eraseProbability: 0.5))
        var s1 = Augmenter.viewStream(seed: 1, epoch: 0, sample: 4, view: 0)
        var s2 = Augmenter.viewStream(seed: 1, epoch: 0, sample: 4, view: 1)
        let (a, b) = augmenter.twoViews(Self.row, first: &s1, second: &s2)
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
        let reference = canon.canonicalize(Self.row)
        for i in 0..<5 {
            var stream = RandomStream(seed: 4, purpose: "canon", index: UInt64(i))
            let permuted = permuter.view(Self.row, stream: &stream)
            var unused = RandomStream(seed: 0, purpose: "unused")
            #expect(canon.view(permuted, stream: &unused) == reference)
        }
        #expect(throws: TokenizerError.self) { try AugmentOptions(permute: true, canonical: true).validate() }
    }
}
