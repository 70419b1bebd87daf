import Foundation
@testable import PlinthData
import XCTest

/// Files past 2 GiB: one write(2) moves at most 0x7ffff000 bytes on Linux, and
/// Foundation's `Data.write(to:)` garbled every byte after that point (found in
/// 5 GB demonstration folders).
final class AtomicFileTests: XCTestCase {
    func testFilesPastTwoGiBAreWrittenWhole() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-large-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let count = 0x7ffff000 + (1 << 20)
        var bytes = [UInt8](repeating: 0, count: count)      // zero pages: cheap until written
        let marks = [0, 0x7ffff000 - 1, 0x7ffff000, 0x7ffff000 + 4097, count - 1]
        for (i, at) in marks.enumerated() { bytes[at] = UInt8(i + 1) }
        let header: [UInt8] = [9, 8, 7]
        try header.withUnsafeBytes { h in try bytes.withUnsafeBytes { b in try AtomicFile.writeNew([h, b], to: url) } }
        bytes = []

        let file = try FileHandle(forReadingFrom: url)
        defer { try? file.close() }
        XCTAssertEqual(try file.seekToEnd(), UInt64(3 + count))
        for (i, at) in marks.enumerated() {
            try file.seek(toOffset: UInt64(3 + at))
            XCTAssertEqual(try file.read(upToCount: 1), Data([UInt8(i + 1)]), "byte \(at) of the part")
        }
        try file.seek(toOffset: 0)
        XCTAssertEqual(try file.read(upToCount: 4), Data([9, 8, 7, 1]))
    }
}
