// One spelling of NaN and infinities in the JSON hyperzoo writes, and files of the earlier
// spelling still read.
import Foundation
import Testing
import ZooStore

@Suite struct NonFiniteJSONTests {
    struct Values: Codable, Equatable { var a: Double; var b: Double; var c: Float }

    @Test func writesOneSpellingAndReadsBoth() throws {
        let values = Values(a: .infinity, b: -.infinity, c: 1.5)
        let text = String(decoding: try NonFiniteJSON.encoder().encode(values), as: UTF8.self)
        #expect(text == #"{"a":"Infinity","b":"-Infinity","c":1.5}"#)
        #expect(try NonFiniteJSON.decode(Values.self, from: Data(text.utf8)) == values)
        let legacy = #"{"a":"inf","b":"-inf","c":1.5}"#
        #expect(try NonFiniteJSON.decode(Values.self, from: Data(legacy.utf8)) == values)
        let nan = try NonFiniteJSON.decode([Double].self, from: Data(#"["NaN"]"#.utf8))
        #expect(nan.count == 1 && nan[0].isNaN)
        #expect(throws: (any Error).self) { try NonFiniteJSON.decode(Values.self, from: Data(#"{"a":"many","b":0,"c":0}"#.utf8)) }
    }
}
