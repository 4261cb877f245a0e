// The canonical JSON text is what every cache key hashes and every lock, cache index and run
// record holds: these pins fail if one byte of it moves. The expected texts and digests were made
// by the JSONNode writer the pipeline used before JSONValue replaced it, so records written by
// earlier versions keep their keys.
import Archive
import Foundation
import Pipeline
import Testing
import ZooStore

@Suite struct CanonicalJSONTests {
    /// Keys whose byte order differs from a case-insensitive or numeric order, escapes, and
    /// numbers on both sides of every formatting rule.
    static let document: JSONValue = [
        "pipeline": "pin", "B": 1, "a": -3, "a10": 2.5, "a9": 0.1, "é": "e\u{301}", "_": [],
        "strings": ["q\"b\\s/", "\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}", "é😀", ""],
        "numbers": [0, -0.0, 1, 8_999_999_999_999_999, -8_999_999_999_999_999, 1e-7, 1e+308, 1e20, -2.5e-300, 123456.789],
        "nested": ["empty": [:], "flags": [true, false, .null], "list": [["x": 1], [2, [3]]]],
    ]

    @Test func aFixedDocumentHasAFixedCanonicalTextAndDigest() throws {
        let text = Self.document.canonical
        #expect(text == #"{"B":1,"_":[],"a":-3,"a10":2.5,"a9":0.1,"nested":{"empty":{},"flags":[true,false,null],"list":[{"x":1},[2,[3]]]},"numbers":[0,0,1,8999999999999999,-8999999999999999,1e-07,1e+308,1e+20,-2.5e-300,123456.789],"pipeline":"pin","strings":["q\"b\\s/","\u0008\u000c\n\r\t\u0001\u001f\#u{7f}","é😀",""],"é":"e\#u{301}"}"#)
        #expect(SHA256.hex(of: Array(text.utf8)) == "b7f753782a0ca14c05b9d331cc558ddb551e2506d6d9ad97a301db7c7975480f")
        #expect(Self.document.jsonText == text)
        #expect(try JSONValue(parsing: text) == Self.document)
    }

    @Test func theIndentedFormIsPinnedToo() throws {
        let pretty = Self.document.pretty
        #expect(pretty.hasPrefix("{\n  \"B\": 1,\n  \"_\": [],\n  \"a\": -3,\n"))
        #expect(pretty.contains("\n    \"flags\": [\n      true,\n      false,\n      null\n    ],\n"))
        #expect(pretty.hasSuffix("\n  \"é\": \"e\u{301}\"\n}\n"))
        #expect(SHA256.hex(of: Array(pretty.utf8)) == "241f5f516a6fc4345c7a41478464ea84ee6698e09f234880be8123f9eabd802b")
        #expect(try JSONValue(parsing: pretty) == Self.document)
    }

    @Test func aStageCacheKeyIsUnchanged() {
        let key = LockEntry.key(operatorName: "train", tool: "sha256:0123",
                                params: ["gamma": 0.05, "epochs": 40, "seed": 1, "name": "ae"],
                                inputs: ["zoo": "sha256:abcd"], outputNames: ["output": "ae.h5"], args: ["--threads", "2"])
        #expect(key == "3b247aee0158f383317a4cb28736a30022cda14ff55db51962b9ee6fd0000167")
    }

    /// The one deliberate change (lock format_version 2): integral numbers are digits up to
    /// Int64, where JSONNode switched to an exponent at 9e15. Both parse to the same Double.
    @Test func integersUpToInt64AreDigitsAndThatIsWhatAnIntegerParamMeans() throws {
        let big: JSONValue = .number(1e16)
        #expect(big.canonical == "10000000000000000")
        #expect(big.intValue == 10_000_000_000_000_000)
        #expect(JSONValue.number(-0x1p63).canonical == "-9223372036854775808")
        #expect(JSONValue.number(0x1p63).canonical == "9.223372036854776e+18")
        #expect(JSONValue.number(0x1p63).intValue == nil)
        #expect(try JSONValue(parsing: "9.0e+15") == JSONValue(parsing: "9000000000000000"))
        // An integer beyond Int64 reads as a double and is no integer: a param check names it.
        #expect(try JSONValue(parsing: "12345678901234567890").intValue == nil)
    }
}
