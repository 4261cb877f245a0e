// Constants and header encoding of the record stream (schemas/record-stream.md).
//
//   stream := magic "HZRS" | u16 major | u16 minor | frame* | end frame
//   frame  := u32 H | u64 N | header (H bytes of UTF-8 JSON) | payload (N bytes) | u64 checksum
//   checksum = XXH64(payload, seed: XXH64(the 12 length bytes + header, seed: 0))
// All integers and payload values little-endian.

import ZooStore

// Payloads are copied to and from Swift's Float and Int32 arrays byte for byte (Record,
// RecordStreamWriter.write(kind:floats:)), which is the little-endian encoding only on a
// little-endian host. Every platform hyperzoo builds for (x86_64, arm64) is one; a big-endian
// port must first swap bytes there.
#if !_endian(little)
#error("record-stream payloads are little-endian and copied as host values: a big-endian host needs byte swapping in Record and RecordStreamWriter")
#endif

/// Format constants of the record stream.
public enum RecordStreamFormat {
    /// The four magic bytes "HZRS".
    public static let magic: [UInt8] = Array("HZRS".utf8)
    /// Major version: readers refuse other majors.
    public static let majorVersion: UInt16 = 1
    /// Minor version: additions that old readers may ignore.
    public static let minorVersion: UInt16 = 0
    /// Largest header accepted (bounds the reader's memory on corrupted input).
    public static let maximumHeaderBytes = 1 << 20
    /// Largest payload accepted per record.
    public static let maximumPayloadBytes = 1 << 32
    /// Payloads at least this large bypass the stream buffers (one copy fewer each side).
    static let directTransferBytes = 64 << 10
    /// Kind of the closing record; its `ids["records"]` counts the records before it.
    public static let endKind = "end"

    /// The header as compact JSON with sorted keys (hand-written: it runs once per record).
    static func encode(_ header: RecordHeader) -> [UInt8] {
        var s = "{\"dtype\":\"\(header.dtype.rawValue)\",\"ids\":{"
        s += header.ids.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)):\($0.value)" }.joined(separator: ",")
        s += "},\"kind\":\(JSONText.quote(header.kind)),\"labels\":{"
        s += header.labels.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)):\(JSONText.quote($0.value))" }.joined(separator: ",")
        s += "},\"shape\":[" + header.shape.map(String.init).joined(separator: ",") + "]}"
        return Array(s.utf8)
    }
}
