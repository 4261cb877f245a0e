// Issue 15.6 and 15.13: every size a zoo config asks for goes through a plausibility limit before
// anything is built, and a valid JSON number that no field can hold is named as such (it was
// "The given data was not valid JSON." with no key).
import Foundation
import Testing
@testable import Nets

@Suite struct ZooSpecLimitsTests {
    /// The error text of parsing `spec` with `change` applied to a minimal valid config.
    func message(_ replacement: (String, String)) -> String {
        let base = #"{"architecture": {"family": "cnn_s", "channels": 1}, "dataset": {"name": "fashion-mnist"}, "optimizer": {"kind": "adam", "learning_rate": 0.001}, "batch_size": 10, "epochs": 1, "seeds": [1, 2]}"#
        let text = base.replacingOccurrences(of: replacement.0, with: replacement.1)
        #expect(text != base, "\(replacement.0) is not in the base config")
        do { _ = try ZooSpec.parse(Data(text.utf8), label: "c.json"); return "accepted" } catch { return "\(error)" }
    }

    @Test func theBaseConfigIsValid() throws {
        _ = try ZooSpec.parse(Data(#"{"architecture": {"family": "cnn_s", "channels": 1}, "dataset": {"name": "fashion-mnist"}, "optimizer": {"kind": "adam", "learning_rate": 0.001}, "batch_size": 10, "epochs": 1, "seeds": [1, 2]}"#.utf8))
    }

    @Test func sizesBeyondTheLimitsAreOneErrorNamingTheKey() {
        #expect(message((#""epochs": 1"#, #""epochs": 1e12"#)) == "c.json: epochs must be in 0...100000, got 1000000000000")
        #expect(message((#""batch_size": 10"#, #""batch_size": 10000000"#)) == "c.json: batch_size must be in 1...65536, got 10000000")
        #expect(message((#""channels": 1"#, #""channels": 1000000"#)) == "c.json: architecture.channels must be in 1...4096, got 1000000")
        #expect(message((#""seeds": [1, 2]"#, #""seeds": {"start": 1, "count": 1e12}"#)).hasPrefix("c.json: at 'seeds': seeds {start 1, count 1000000000000}: expected start ≥ 0 and 0 < count ≤ 1000000"))
        #expect(message((#""family": "cnn_s", "channels": 1"#, #""family": "mlp", "hidden": [100000000]"#)).hasPrefix("c.json: architecture.hidden must list at most 64 widths in 1...65536"))
    }

    @Test func aNumberNoFieldCanHoldIsNamedNotCalledInvalidJSON() {
        let huge = message((#""learning_rate": 0.001"#, #""learning_rate": 1e+308"#))
        #expect(huge.hasPrefix("c.json: at 'optimizer.learning_rate': 1e+308 is out of range"), "\(huge)")
        let tiny = message((#""learning_rate": 0.001"#, #""learning_rate": 1e-300"#))
        #expect(tiny.hasPrefix("c.json: at 'optimizer.learning_rate': 1e-300 is out of range"), "\(tiny)")
        let count = message((#""batch_size": 10"#, #""batch_size": 1e+19"#))
        #expect(count.hasPrefix("c.json: at 'batch_size': 1e+19 is out of range"), "\(count)")
        for text in [huge, tiny, count] { #expect(!text.contains("not valid JSON")) }
        // Text that is not JSON still says so.
        #expect(message((#""epochs": 1"#, #""epochs": 1,,"#)).contains("not valid JSON"))
    }
}
