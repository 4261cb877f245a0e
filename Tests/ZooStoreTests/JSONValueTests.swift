// JSONValue's reading rules: one clear line per problem (the source, then the line and column or
// the key), numbers refused when no JSONValue could give them back, files read with a size limit.
import Foundation
import Testing
import TestSupport
import ZooStore

@Suite struct JSONValueTests {
    func message(_ text: String) -> String {
        do { _ = try JSONValue(parsing: text, source: "c.json"); return "parsed" } catch { return "\(error)" }
    }

    @Test func largestDoubleIsValidAndBeyondItTheKeyIsNamed() throws {
        #expect(try JSONValue(parsing: #"{"lr": 1e+308}"#)["lr"]?.doubleValue == 1e308)
        #expect(try JSONValue(parsing: "-1.7976931348623157e308").doubleValue == -.greatestFiniteMagnitude)
        #expect(message(#"{"optimizer": {"lr": 1e400}}"#) == "c.json: at 'optimizer.lr' (line 1, column 22): 1e400 is beyond the range of a double (about ±1.8e308)")
        #expect(message("[1, -1e309]") == "c.json: at '[1]' (line 1, column 5): -1e309 is beyond the range of a double (about ±1.8e308)")
        #expect(message(#"{"odd key": [1e999]}"#).hasPrefix(#"c.json: at '["odd key"][0]' (line 1, column 14): 1e999 is beyond"#))
        #expect(try JSONValue(parsing: "-9223372036854775808").intValue == Int.min)
        // Beyond Int64 (a report's UInt64 seed): kept as the nearest double, but no intValue.
        #expect(try JSONValue(parsing: "10913035742975872645").intValue == nil)
        #expect(try JSONValue(parsing: "9223372036854775807").canonical == "9.223372036854776e+18")
        #expect(try JSONValue(parsing: "9223372036854774784").intValue == 9_223_372_036_854_774_784)
        #expect(try JSONValue(parsing: "9.3e18").doubleValue == 9.3e18)
    }

    @Test func syntaxErrorsGiveLineAndColumn() {
        #expect(message("{\n  \"a\": 1,,\n}") == "c.json: not valid JSON: line 2, column 10: expected a key (a string) or '}', found ','")
        #expect(message("{") == "c.json: not valid JSON: line 1, column 2: expected a key (a string) or '}', found the end of the text")
        #expect(message("[1] x") == "c.json: not valid JSON: line 1, column 5: unexpected text after the JSON value")
        #expect(message("[01]") == "c.json: not valid JSON: line 1, column 3: expected ',' or ']' in an array, found '1'")
        #expect(message("[1.]") == "c.json: not valid JSON: line 1, column 4: expected a digit after '.', found ']'")
        #expect(message("[NaN]") == "c.json: not valid JSON: line 1, column 2: expected a value, found 'N'")
        #expect(message("\"a\tb\"") == "c.json: not valid JSON: line 1, column 3: a control character (0x9) in a string must be escaped")
        #expect(message(#""\ud800""#) == #"c.json: not valid JSON: line 1, column 2: a lone surrogate \ud800 in a string"#)
        #expect(message(#""\x""#) == #"c.json: not valid JSON: line 1, column 2: unknown escape '\x' in a string"#)
        #expect(message(String(repeating: "[", count: 600)).hasSuffix("nested deeper than 512 levels"))
        #expect(message(#"{"a": 1, "a": 2}"#) == "c.json: at 'a' (line 1, column 10): the key appears twice in one object")
    }

    @Test func stringsAndLiteralsReadBack() throws {
        let text = "\u{FEFF}" + #" {"s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "t": true, "f": false, "n": null, "e": [], "o": {}} "#
        let value = try JSONValue(parsing: text)
        #expect(value == ["s": "q\"\\/\u{8}\u{c}\n\r\t\u{e9}😀", "t": true, "f": false, "n": nil, "e": [], "o": [:]])
        #expect(try JSONValue.parse(Data("[1e2, -0, 2.5E-3]".utf8), source: "x") == [100, 0, 0.0025])
        #expect(message("\"\u{FF}\"") == "parsed")  // U+00FF is valid UTF-8 text
        #expect(throws: ZooStoreError.self) { try JSONValue.parse([0x22, 0xFF, 0x22], source: "x") }
    }

    @Test func nonFiniteNumbersAreWrittenAsNull() {
        // No JSON text holds them; records that must not lose them check before writing.
        #expect(JSONValue.array([.number(.nan), .number(-.infinity), .number(-0.0)]).canonical == "[null,null,0]")
    }

    @Test func filesAreReadWithALimitAndWithoutBlocking() throws {
        let dir = TemporaryDirectory()
        let file = dir.path("a.json")
        try Data(#"{"a": [1, 2]}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try JSONValue.read(path: file) == ["a": [1, 2]])
        #expect { try JSONValue.read(path: dir.path("missing.json")) } throws: { "\($0)".hasPrefix(dir.path("missing.json") + ": cannot read file") }
        let fifo = dir.path("fifo.json")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect { try JSONValue.read(path: fifo) } throws: { "\($0)".hasPrefix(fifo + ": cannot read file") }
    }
}
