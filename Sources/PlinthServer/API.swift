import Foundation
import Hummingbird

// The JSON bodies of the server's API. Optional fields that are nil are left out.

/// `POST /api/search` and `/api/embed` with `Content-Type: application/json`.
struct TextQuery: Decodable {
    let text: String
    let k: Int?
    let target: String?
}

/// What a query was: its modality, and its text or its size in bytes.
struct QuerySummary: Encodable {
    let modality: String
    var text: String?
    var bytes: Int?
}

struct SearchAnswer: ResponseEncodable {
    struct Result: Encodable {
        let rank: Int
        let id: String
        let modality: String?
        let score: Float
        let caption: String?
        /// `/media/N` for items with a file on disk.
        let media: String?
    }

    let query: QuerySummary
    let target: String?
    let k: Int
    let milliseconds: Double
    let results: [Result]
}

struct EmbedAnswer: ResponseEncodable {
    let modality: String
    let model: String
    let dimension: Int
    let embedding: [Float]
}

struct ClassifyAnswer: ResponseEncodable {
    struct Label: Encodable {
        let label: String
        let probability: Float
    }

    let modality: String
    /// Most probable first.
    let labels: [Label]
    let milliseconds: Double
}

struct HealthAnswer: ResponseEncodable {
    let status: String
    let model: String
    let dimension: Int
    /// Index items per modality.
    let items: [String: Int]
    /// The query modalities the model reads.
    let queries: [String]
    let maxUploadBytes: Int

    enum CodingKeys: String, CodingKey {
        case status, model, dimension, items, queries
        case maxUploadBytes = "max_upload_bytes"
    }
}
