import Testing
@testable import Tensor

@Suite struct RandomStreamTests {
    @Test func sameKeyGivesSameSequence() {
        var a = RandomStream(seed: 42, purpose: "init", index: 3)
        var b = RandomStream(seed: 42, purpose: "init", index: 3)
        for _ in 0..<100 { #expect(a.nextUInt64() == b.nextUInt64()) }
    }

    @Test func purposeAndIndexSeparateStreams() {
        var a = RandomStream(seed: 42, purpose: "init", index: 3)
        var b = RandomStream(seed: 42, purpose: "init", index: 4)
        var c = RandomStream(seed: 42, purpose: "data", index: 3)
        let xa = (0..<8).map { _ in a.nextUInt64() }
        #expect(xa != (0..<8).map { _ in b.nextUInt64() })
        #expect(xa != (0..<8).map { _ in c.nextUInt64() })
    }

    @Test func restoringTheCounterResumes() {
        var a = RandomStream(seed: 1, purpose: "x")
        for _ in 0..<37 { _ = a.nextFloat() }
        let saved = a.counter
        let next = (0..<5).map { _ in a.nextNormal() }
        var b = RandomStream(key: a.key, counter: saved)
        #expect(next == (0..<5).map { _ in b.nextNormal() })
    }

    @Test func uniformAndNormalMoments() {
        var r = RandomStream(seed: 9, purpose: "moments")
        let n = 200_000
        var su = 0.0, sn = 0.0, sn2 = 0.0
        for _ in 0..<n {
            let u = Double(r.nextFloat())
            #expect(u >= 0 && u < 1)
            su += u
            let z = Double(r.nextNormal())
            sn += z; sn2 += z * z
        }
        #expect(abs(su / Double(n) - 0.5) < 0.005)
        #expect(abs(sn / Double(n)) < 0.01)
        #expect(abs(sn2 / Double(n) - 1) < 0.02)
    }

    @Test func permutationIsAPermutation() {
        var r = RandomStream(seed: 5, purpose: "perm")
        let p = r.permutation(50)
        #expect(p.sorted() == Array(0..<50))
        #expect(p != Array(0..<50))
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[r.nextInt(below: 7)] += 1 }
        for c in counts { #expect(abs(c - 10_000) < 500) }
    }
}
