import Foundation
import PlinthServer
import XCTest

/// Bad requests get a 4xx with a JSON message that says what was wrong, and the
/// server goes on serving.
final class ServerErrorTests: XCTestCase {
    func testBadRequestsAreAnsweredInJSON() async throws {
        let png = try sample("dog.png")
        let cases: [(String, String, Data, String?, Int, String)] = [
            ("malformed JSON", "/api/search", Data(#"{"text": "a cow""#.utf8), "application/json", 400, "malformed JSON"),
            ("no text", "/api/search", Data(#"{"k": 3}"#.utf8), "application/json", 400, "text: is missing"),
            ("text of the wrong type", "/api/search", Data(#"{"text": 3}"#.utf8), "application/json", 400, "text: "),
            ("blank text", "/api/search", Data(#"{"text": "  "}"#.utf8), "application/json", 400, "text: is empty"),
            ("long text", "/api/search", Data("{\"text\": \"\(String(repeating: "moo ", count: 400))\"}".utf8), "application/json", 400, "the limit is 1000"),
            ("k of 0", "/api/search", Data(#"{"text": "a cow", "k": 0}"#.utf8), "application/json", 400, "k: must be an integer from 1 to 100, got 0"),
            ("k not a number", "/api/search?k=many", png, "image/png", 400, "got 'many'"),
            ("unknown target", "/api/search", Data(#"{"text": "a cow", "target": "video"}"#.utf8), "application/json", 400, "target: must be image, audio or text"),
            ("empty body", "/api/search", Data(), "image/png", 400, "the body is empty"),
            ("text file", "/api/search", Data("just words".utf8), "text/plain", 415, "first bytes 6A 75 73 74"),
            ("multipart form", "/api/search", Data("--x\r\nContent-Disposition: form-data\r\n".utf8), "multipart/form-data; boundary=x", 415, "multipart forms are not read"),
            ("truncated PNG", "/api/search", png.prefix(200), "image/png", 422, "upload.png"),
            ("one label", "/api/classify?labels=dog", png, "image/png", 400, "at least two"),
            ("repeated label", "/api/classify?labels=dog,dog", png, "image/png", 400, "once"),
            ("text to classify", "/api/classify?labels=dog,cow", Data(#"{"text": "a dog"}"#.utf8), "application/json", 400, "not text"),
            ("unknown route", "/api/nothing", png, nil, 404, "Not Found"),
        ]
        try await withServer { client in
            for (name, path, body, type, status, fragment) in cases {
                let answer = try await client.post(path, body: body, type: type)
                XCTAssertEqual(answer.status, status, "\(name): \(answer.errorMessage ?? String(decoding: answer.data, as: UTF8.self))")
                XCTAssertTrue(answer.contentType.hasPrefix("application/json"), "\(name): \(answer.contentType)")
                let message = answer.errorMessage ?? ""
                XCTAssertTrue(message.contains(fragment), "\(name): '\(message)' does not say '\(fragment)'")
            }
            for path in ["/media/999", "/media/x", "/media/40"] {   // 40: a caption, which has no file
                let answer = try await client.get(path)
                XCTAssertEqual(answer.status, 404, path)
                XCTAssertNotNil(answer.errorMessage, path)
            }
            let health = try await client.get("/api/health")
            XCTAssertEqual(health.status, 200, "still serving after the bad requests")
        }
    }

    func testUploadsOverTheLimitAreRefused() async throws {
        var limits = ServerLimits()
        limits.maxUploadBytes = 4096
        let png = try sample("dog.png")
        XCTAssertGreaterThan(png.count, 4096)
        try await withServer(limits: limits) { client in
            let answer = try await client.post("/api/search", body: png, type: "image/png")
            XCTAssertEqual(answer.status, 413)
            XCTAssertEqual(answer.errorMessage, "the body is larger than the limit of 4096 bytes")
            let small = try await client.post("/api/search", json: #"{"text": "a dog"}"#)
            XCTAssertEqual(small.status, 200)
        }
    }

    /// Sounds are checked against the server's bounds from their headers, before decoding allocates.
    func testSoundSizesAreBoundedBeforeDecoding() async throws {
        var wav = Data("RIFF".utf8)         // 8 channels, more than the server takes
        func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { wav.append(contentsOf: $0) } }
        le(UInt32(36 + 1024)); wav.append(contentsOf: Array("WAVEfmt ".utf8))
        le(UInt32(16)); le(UInt16(1)); le(UInt16(8)); le(UInt32(48_000)); le(UInt32(48_000 * 16)); le(UInt16(16)); le(UInt16(16))
        wav.append(contentsOf: Array("data".utf8)); le(UInt32(1024))
        wav.append(Data(count: 1024))
        let upload = wav
        var limits = ServerLimits()
        limits.audio.maxSamples = 1000
        try await withServer(limits: limits) { client in
            let channels = try await client.post("/api/search", body: upload, type: "audio/wav")
            XCTAssertEqual(channels.status, 422)
            XCTAssertTrue(channels.errorMessage?.contains("upload.wav': 8 channels") ?? false, channels.errorMessage ?? "")
            let long = try await client.post("/api/search", body: try sample("cow.ogg"), type: "audio/ogg")
            XCTAssertEqual(long.status, 422)
            XCTAssertTrue(long.errorMessage?.contains("above the limit of 1000 samples") ?? false, long.errorMessage ?? "")
        }
    }
}
