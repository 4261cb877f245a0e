import Testing
@testable import HyperRep
import ZooStore

@Suite struct TokenizerTests {
    @Test func cnnSNeuronTokensMatchThePaper() throws {
        let layout = try TokenLayout(table: TestArchitectures.table(TestArchitectures.cnnS))
        #expect(layout.tokenCount == 48)
        #expect(layout.layers.map(\.width) == [26, 201, 25, 37, 21])
        #expect(layout.layers.map(\.firstToken) == [0, 8, 14, 18, 38])
        #expect(layout.tokenWidth == 201)
        // Token 9 is neuron 1 of layer 1 (conv2): its weights start at 208 + 200, bias at 1414 - 6 + 1.
        #expect(layout.positions[9] == TokenPosition(token: 9, layer: 1, neuron: 1))
        #expect(layout.sourceIndex[9 * 201] == 408)
        #expect(layout.sourceIndex[9 * 201 + 200] == 208 + 1200 + 1)
        #expect(layout.sourceIndex[9 * 201 + 201 - 1] == 208 + 1200 + 1)
        #expect(layout.mask.reduce(0, +) == 2464)
    }

    @Test func cnnMNeuronTokensMatchThePaper() throws {
        let layout = try TokenLayout(table: TestArchitectures.table(TestArchitectures.cnnM))
        #expect(layout.parameterCount == 10_853)
        #expect(layout.tokenCount == 93)
        #expect(layout.layers.map(\.width) == [28, 145, 289, 61, 21])
    }

    @Test(arguments: TestArchitectures.all.map(\.label))
    func neuronTokensRoundTripBitForBit(_ label: String) throws {
        let table = try TestArchitectures.table(TestArchitectures.all.first { $0.label == label }!.stateDict)
        let layout = try TokenLayout(table: table)
        let row = TestArchitectures.hostileRow(count: table.parameterCount, seed: 1)
        let padded = layout.tokenize(row)
        #expect(padded.count == layout.tokenCount * layout.tokenWidth)
        #expect(TestArchitectures.bits(layout.detokenize(padded)) == TestArchitectures.bits(row))
        let packed = layout.tokenizePacked(row)
        #expect(TestArchitectures.bits(layout.detokenizePacked(packed)) == TestArchitectures.bits(row))
        // Packed layer blocks are the padded tokens without their padding.
        for layer in layout.layers {
            for n in 0..<layer.tokenCount {
                let p = Array(packed[(layer.packedOffset + n * layer.width)..<(layer.packedOffset + (n + 1) * layer.width)])
                let t = layer.firstToken + n
                let q = Array(padded[(t * layout.tokenWidth)..<(t * layout.tokenWidth + layer.width)])
                #expect(TestArchitectures.bits(p) == TestArchitectures.bits(q))
            }
        }
    }

    @Test(arguments: TestArchitectures.all.map(\.label), [0, 16, 289])
    func uniformTokensRoundTripBitForBit(_ label: String, tokenSize: Int) throws {
        let table = try TestArchitectures.table(TestArchitectures.all.first { $0.label == label }!.stateDict)
        let tokenizer = try UniformTokenizer(table: table, tokenSize: tokenSize)
        let row = TestArchitectures.hostileRow(count: table.parameterCount, seed: 2)
        let tokens = tokenizer.tokenize(row)
        #expect(TestArchitectures.bits(tokenizer.detokenize(tokens)) == TestArchitectures.bits(row))
        // Padding is zero and masked out; the mask counts every parameter once.
        let mask = tokenizer.mask
        #expect(mask.reduce(0, +) == Float(table.parameterCount))
        #expect(zip(tokens, mask).allSatisfy { $1 == 1 || $0.bitPattern == 0 })
        // Chunks of one neuron are consecutive and share (layer, neuron).
        let expectedTokens = table.neuronRowLayers.reduce(0) { $0 + $1.rows * (($1.width + tokenizer.tokenSize - 1) / tokenizer.tokenSize) }
        #expect(tokenizer.tokenCount == expectedTokens)
        #expect(tokenizer.positions.enumerated().allSatisfy { $0.offset == $0.element.token })
    }

    @Test func uniformTokensOfCnnSAt16() throws {
        let tokenizer = try UniformTokenizer(table: TestArchitectures.table(TestArchitectures.cnnS), tokenSize: 16)
        // widths 26, 201, 25, 37, 21 → 2, 13, 2, 3, 2 chunks per neuron.
        #expect(tokenizer.tokenCount == 8 * 2 + 6 * 13 + 4 * 2 + 20 * 3 + 10 * 2)
        #expect(tokenizer.positions[2] == TokenPosition(token: 2, layer: 0, neuron: 1))
        #expect(tokenizer.positions[16] == TokenPosition(token: 16, layer: 1, neuron: 0))
        // Neuron 0 of layer 0: 26 values → 16 + 10 real, 6 padding.
        let weights: [Int32] = (16..<25).map { Int32($0) }
        let bias: [Int32] = [200]
        let padding = [Int32](repeating: -1, count: 6)
        #expect(Array(tokenizer.sourceIndex[16..<32]) == weights + bias + padding)
    }

    @Test func autoTokenSizeIsTheWidestRow() throws {
        let tokenizer = try UniformTokenizer(table: TestArchitectures.table(TestArchitectures.cnnM))
        #expect(tokenizer.tokenSize == 289)
        #expect(tokenizer.tokenCount == 93)
    }

    @Test func negativeTokenSizeIsRejected() throws {
        let table = try TestArchitectures.table(TestArchitectures.mlp)
        #expect(throws: TokenizerError.self) { try UniformTokenizer(table: table, tokenSize: -1) }
    }
}
