// Attributes: scalar, array, string and JSON values; replacement; large attributes.
import Testing
import HDF5
import TestSupport

@Suite struct AttributeTests {
    struct Config: Codable, Equatable { var lr: Double; var layers: [Int]; var name: String }

    @Test func valuesRoundTrip() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("attrs.h5")
        do {
            let f = try File(path: path, mode: .create)
            let a = f.attributes
            try a.set("format", "hyperzoo.zoo")
            try a.set("format_version", 1)
            try a.set("pi", Double.pi)
            try a.set("f", .float(0.25))
            try a.set("ints", .ints([1, 2, 3]))
            try a.set("doubles", .doubles([0.5, 1.5]))
            try a.set("floats", .floats([2.5]))
            try a.set("strings", .strings(["x", "ÿ"]))
            try a.setJSON("config", Config(lr: 1e-3, layers: [8, 6], name: "cnn"))
            try a.set("format_version", 2)  // replaces
            // Larger than the 64 KiB compact-attribute limit: needs the 1.8+ format.
            try a.set("big", .string(String(repeating: "w", count: 200_000)))
        }
        let a = try File(path: path).attributes
        #expect(try a.names() == ["format", "pi", "f", "ints", "doubles", "floats", "strings", "config", "format_version", "big"])
        #expect(try a.string("format") == "hyperzoo.zoo")
        #expect(try a.int("format_version") == 2)
        #expect(try a.double("pi") == Double.pi)
        #expect(a["f"] == .float(0.25))
        #expect(a["ints"] == .ints([1, 2, 3]))
        #expect(a["doubles"] == .doubles([0.5, 1.5]))
        #expect(a["floats"] == .floats([2.5]))
        #expect(a["strings"] == .strings(["x", "ÿ"]))
        #expect(try a.json("config", as: Config.self) == Config(lr: 1e-3, layers: [8, 6], name: "cnn"))
        #expect(try a.string("big").count == 200_000)
        #expect(a["missing"] == nil)
        let missing = #expect(throws: HDF5Error.self) { try a.value("missing") }
        #expect(missing?.kind == .notFound)
        let wrongType = #expect(throws: HDF5Error.self) { try a.string("pi") }
        #expect(wrongType?.kind == .typeMismatch)
        let badJSON = #expect(throws: HDF5Error.self) { try a.json("format", as: Config.self) }
        #expect(badJSON?.kind == .invalidArgument)
    }
}
