import Foundation
import PlinthRecipes
import PlinthServer
import XCTest

/// The JSON API on the shipped model and the sample index, through a real socket.
final class ServerAPITests: XCTestCase {
    func testHealthCountsTheSampleIndex() async throws {
        try await withServer { client in
            let answer = try await client.get("/api/health")
            XCTAssertEqual(answer.status, 200)
            XCTAssertTrue(answer.contentType.hasPrefix("application/json"))
            XCTAssertEqual(answer.json["status"] as? String, "ok")
            XCTAssertEqual(answer.json["items"] as? [String: Int], ["image": 16, "audio": 16, "text": 16])
            XCTAssertEqual(answer.json["queries"] as? [String], ["text", "image", "audio"])
            XCTAssertEqual(answer.json["max_upload_bytes"] as? Int, 16 << 20)
        }
    }

    func testTextFindsThePictureAndTheSound() async throws {
        try await withServer { client in
            let pictures = try await client.post("/api/search", json: #"{"text": "a cow", "k": 3, "target": "image"}"#)
            XCTAssertEqual(pictures.status, 200)
            XCTAssertEqual(pictures.results.map { $0["id"] as? String }, ["cow.png", "violin.png", "lion.png"])
            XCTAssertEqual(pictures.results.first?["caption"] as? String, "A cow.")
            XCTAssertEqual(pictures.results.map { $0["rank"] as? Int }, [1, 2, 3])
            let scores = pictures.results.compactMap { $0["score"] as? Double }
            XCTAssertEqual(scores, scores.sorted(by: >))

            // The thumbnail is the sample file itself.
            let media = try XCTUnwrap(pictures.results.first?["media"] as? String)
            let thumbnail = try await client.get(media)
            XCTAssertEqual(thumbnail.status, 200)
            XCTAssertEqual(thumbnail.contentType, "image/png")
            XCTAssertEqual(thumbnail.data, try sample("cow.png"))

            let sounds = try await client.post("/api/search", json: #"{"text": "a cow", "k": 1, "target": "audio"}"#)
            XCTAssertEqual(sounds.results.first?["id"] as? String, "cow.ogg")
            let sound = try await client.get(try XCTUnwrap(sounds.results.first?["media"] as? String))
            XCTAssertEqual(sound.contentType, "audio/ogg")

            let everything = try await client.post("/api/search", json: #"{"text": "a cow", "k": 48}"#)
            XCTAssertEqual(everything.results.count, 48)
            XCTAssertNil(everything.json["target"])
        }
    }

    func testUploadsFindTheirCaptions() async throws {
        try await withServer { client in
            for (file, caption) in [("dog.png", "A dog."), ("cow.ogg", "A cow."), ("owl.png", "An owl.")] {
                let answer = try await client.post("/api/search?k=2&target=text", body: try sample(file), type: "application/octet-stream")
                XCTAssertEqual(answer.status, 200, "\(file): \(answer.errorMessage ?? "")")
                XCTAssertEqual(answer.results.first?["id"] as? String, caption, file)
                XCTAssertNil(answer.results.first?["media"], "captions have no file")
                XCTAssertEqual((answer.json["query"] as? [String: Any])?["bytes"] as? Int, try sample(file).count)
            }
        }
    }

    func testZeroShotClassification() async throws {
        try await withServer { client in
            let answer = try await client.post("/api/classify?labels=cow,%20dog,violin", body: try sample("dog.png"), type: "image/png")
            XCTAssertEqual(answer.status, 200, answer.errorMessage ?? "")
            let labels = try XCTUnwrap(answer.json["labels"] as? [[String: Any]])
            XCTAssertEqual(labels.first?["label"] as? String, "dog")
            XCTAssertEqual(Set(labels.compactMap { $0["label"] as? String }), ["cow", "dog", "violin"])
            XCTAssertEqual(labels.compactMap { $0["probability"] as? Double }.reduce(0, +), 1, accuracy: 1e-4)
        }
    }

    /// The API's embedding is the library's, for text and for an uploaded file.
    func testEmbedMatchesTheLibrary() async throws {
        let embedder = try Embedder(modelFile: Assets.defaultModel)
        let text = try embedder.embed(texts: ["a violin"]).toArray()
        let file = try embedder.embed(files: [Assets.samples.appendingPathComponent("violin.png").path]).toArray()
        try await withServer { client in
            let byText = try await client.post("/api/embed", json: #"{"text": "a violin"}"#)
            let byFile = try await client.post("/api/embed", body: try sample("violin.png"), type: "image/png")
            for (answer, expected) in [(byText, text), (byFile, file)] {
                XCTAssertEqual(answer.status, 200)
                XCTAssertEqual(answer.json["dimension"] as? Int, expected.count)
                let got = try XCTUnwrap(answer.json["embedding"] as? [Double])
                XCTAssertEqual(got.count, expected.count)
                for (a, b) in zip(got, expected) { XCTAssertEqual(Float(a), b, accuracy: 1e-6) }
            }
        }
    }

    /// Requests in flight together get the answers they get one at a time.
    func testConcurrentRequestsGetTheirOwnAnswers() async throws {
        try await withServer { client in
            let queries: [(String, Data, String?)] = [
                ("/api/search", Data(#"{"text": "a dog", "k": 5}"#.utf8), "application/json"),
                ("/api/search", Data(#"{"text": "an electric kettle", "k": 5, "target": "audio"}"#.utf8), "application/json"),
                ("/api/search?k=5&target=text", try sample("pig.png"), nil),
                ("/api/search?k=5", try sample("bee.ogg"), "audio/ogg"),
            ]
            var expected: [[String]] = []
            for (path, body, type) in queries {
                expected.append(try await client.post(path, body: body, type: type).results.compactMap { $0["id"] as? String })
            }
            try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
                for round in 0..<32 {
                    let (path, body, type) = queries[round % queries.count]
                    group.addTask {
                        let answer = try await client.post(path, body: body, type: type)
                        return (round % queries.count, answer.results.compactMap { $0["id"] as? String })
                    }
                }
                for try await (query, ids) in group { XCTAssertEqual(ids, expected[query]) }
            }
        }
    }

    func testThePageIsServed() async throws {
        try await withServer { client in
            for (path, type) in [("/", "text/html"), ("/app.js", "text/javascript"), ("/style.css", "text/css")] {
                let answer = try await client.get(path)
                XCTAssertEqual(answer.status, 200, path)
                XCTAssertTrue(answer.contentType.hasPrefix(type), "\(path): \(answer.contentType)")
                XCTAssertFalse(answer.data.isEmpty, path)
            }
            let page = String(decoding: try await client.get("/").data, as: UTF8.self)
            XCTAssertTrue(page.contains("app.js") && page.contains("style.css"))
            XCTAssertNil(page.range(of: #"(src|href)\s*=\s*["']?(https?:)?//"#, options: .regularExpression),
                         "the page loads nothing from the network")
        }
    }
}
