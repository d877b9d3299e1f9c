// A minimal zip writer for the tests (stored entries, no compression): Foundation on Linux has
// none, and the skill tests need bundles with chosen (even hostile) entry names.
import Foundation

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

private func crc32(_ data: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in data { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}

private extension Array where Element == UInt8 {
    mutating func u16(_ v: Int) { append(UInt8(v & 0xFF)); append(UInt8((v >> 8) & 0xFF)) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
}

/// A zip archive of `entries` (name, content), stored, in the given order.
func zipOf(_ entries: [(String, [UInt8])]) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    for (name, data) in entries {
        let nameBytes = Array(name.utf8)
        let crc = crc32(data)
        let offset = UInt32(out.count)
        out.u32(0x0403_4B50); out.u16(20); out.u16(0); out.u16(0); out.u16(0); out.u16(0x21)
        out.u32(crc); out.u32(UInt32(data.count)); out.u32(UInt32(data.count))
        out.u16(nameBytes.count); out.u16(0)
        out += nameBytes; out += data
        central.u32(0x0201_4B50); central.u16(20); central.u16(20); central.u16(0); central.u16(0)
        central.u16(0); central.u16(0x21); central.u32(crc); central.u32(UInt32(data.count))
        central.u32(UInt32(data.count)); central.u16(nameBytes.count); central.u16(0); central.u16(0)
        central.u16(0); central.u16(0); central.u32(0); central.u32(offset)
        central += nameBytes
    }
    let start = UInt32(out.count)
    out += central
    out.u32(0x0605_4B50); out.u16(0); out.u16(0); out.u16(entries.count); out.u16(entries.count)
    out.u32(UInt32(central.count)); out.u32(start); out.u16(0)
    return out
}

/// `zipOf` with text contents.
func zipOf(_ entries: [(String, String)]) -> [UInt8] {
    zipOf(entries.map { ($0.0, Array($0.1.utf8)) })
}

/// A fresh directory holding (relative path, text) files.
func skillDirectory(_ files: [(String, String)]) throws -> URL {
    let dir = try temporaryDirectory("poke-swift-skill")
    for (name, text) in files {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
    return dir
}
