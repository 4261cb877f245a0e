// The one JSON string escaper behind every JSON text hyperzoo writes by hand: safetensors
// headers, record-stream headers, pipeline specs, locks and manifests, CLI summaries. Writing
// them by hand keeps key order and bytes fixed (the same value always gives the same text).

/// Hand-written JSON text.
public enum JSONText {
    /// Appends `s` as a JSON string literal: `"` and `\` escaped, `\n` `\r` `\t` by name, other
    /// control characters as `\u00xx` (lowercase hex), everything else as is (UTF-8, `/` unescaped).
    public static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `s` as a JSON string literal (see `quote(_:into:)`).
    public static func quote(_ s: String) -> String {
        var out = ""
        quote(s, into: &out)
        return out
    }
}
