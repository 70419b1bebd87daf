@testable import PlinthServer
import XCTest

final class MediaKindTests: XCTestCase {
    func testKindsAreToldByTheirFirstBytes() throws {
        for (name, kind) in [("cow.png", MediaKind.png), ("cow.ogg", .ogg)] {
            XCTAssertEqual(MediaKind(sniffing: try sample(name)), kind, name)
        }
        XCTAssertEqual(MediaKind(sniffing: [0xFF, 0xD8, 0xFF, 0xE0]), .jpeg)
        XCTAssertEqual(MediaKind(sniffing: Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt ".utf8)), .wav)
        XCTAssertEqual(MediaKind(sniffing: Array("fLaC".utf8)), .flac)
        XCTAssertNil(MediaKind(sniffing: Array("RIFF\u{0}\u{0}\u{0}\u{0}AVI ".utf8)))
        XCTAssertNil(MediaKind(sniffing: [UInt8]()))
        XCTAssertEqual(MediaKind(path: "a/b/Duck.JPG")?.contentType, "image/jpeg")
        XCTAssertNil(MediaKind(path: "notes.txt"))
    }
}
