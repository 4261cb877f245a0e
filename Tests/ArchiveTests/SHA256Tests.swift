import Archive
import Foundation
import Testing
import TestSupport

@Suite struct SHA256Tests {
    @Test func fipsVectors() {
        #expect(SHA256.hex(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func incrementalMatchesOneShotAndSha256sum() throws {
        let bytes = (0..<200_003).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var split = SHA256()
        // Uneven pieces exercise the pending-block path.
        for range in [0..<1, 1..<63, 63..<64, 64..<1000, 1000..<200_003] { split.update(Array(bytes[range])) }
        let oneShot = SHA256.hex(of: bytes)
        #expect(SHA256.hexString(split.finalize()) == oneShot)

        let dir = TemporaryDirectory()
        let file = dir.path("data.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let (fromFile, size) = try SHA256.hex(ofFileAt: file)
        #expect(size == 200_003)
        #expect(fromFile == oneShot)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(output.hasPrefix(oneShot))
    }
}
