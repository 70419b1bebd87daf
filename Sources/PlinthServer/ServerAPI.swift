import Foundation
import Hummingbird
import PlinthAdapters
import PlinthData
import PlinthModels
import PlinthRecipes
import PlinthTensor

/// The JSON API's handlers: they read and check a request, decode an upload in
/// the request's own task, then ask the shared ``SearchService``.
struct ServerAPI: Sendable {
    let service: SearchService
    let limits: ServerLimits

    /// A query read from a request body, with the options that came with it.
    struct ParsedQuery {
        let query: Query
        let summary: QuerySummary
        let k: Int
        let target: Modality?
    }

    func health() -> HealthAnswer {
        let inputs = service.inputs
        let queries = [inputs.tokenizer != nil ? "text" : nil, inputs.imagePreset != nil ? "image" : nil, inputs.audio != nil ? "audio" : nil]
        return HealthAnswer(status: "ok", model: service.modelName, dimension: service.dimension, items: service.itemCounts,
                            queries: queries.compactMap { $0 }, maxUploadBytes: limits.maxUploadBytes)
    }

    func search(_ request: Request) async throws -> SearchAnswer {
        let start = ContinuousClock.now
        let q = try await read(request)
        let hits = try await served { try await service.search(q.query, k: q.k, modality: q.target) }
        let results = hits.enumerated().map { rank, hit in
            let item = service.index.items[hit.index]
            let media = item.path.flatMap(MediaKind.init(path:)) != nil ? "/media/\(hit.index)" : nil
            return SearchAnswer.Result(rank: rank + 1, id: hit.id, modality: item.modality, score: hit.score,
                                       caption: item.caption, media: media)
        }
        return SearchAnswer(query: q.summary, target: q.target?.rawValue, k: q.k, milliseconds: milliseconds(since: start),
                            results: results)
    }

    func embed(_ request: Request) async throws -> EmbedAnswer {
        let q = try await read(request)
        let embedding = try await served { try await service.embed(q.query) }
        return EmbedAnswer(modality: q.summary.modality, model: service.modelName, dimension: service.dimension,
                           embedding: embedding.toArray())
    }

    /// A file body, with `?labels=a,b,c`.
    func classify(_ request: Request) async throws -> ClassifyAnswer {
        let start = ContinuousClock.now
        let labels = try self.labels(request.uri.queryParameters["labels"])
        guard case .input(let input, let field) = try await read(request).query else {
            throw badRequest("classification takes an image or sound file as the body, not text")
        }
        let probabilities = try await served { try await service.classify(input, field: field, labels: labels) }
        let ranked = zip(labels, probabilities).map { ClassifyAnswer.Label(label: $0, probability: $1) }
            .sorted { $0.probability > $1.probability }
        return ClassifyAnswer(modality: field.modality.rawValue, labels: ranked, milliseconds: milliseconds(since: start))
    }

    // MARK: Reading requests

    /// A JSON body (`Content-Type: application/json`, `{"text": ..., "k": ..., "target": ...}`)
    /// or a file's bytes (PNG, JPEG, WAV, OGG or FLAC, told by their first bytes)
    /// with `k` and `target` in the query string.
    private func read(_ request: Request) async throws -> ParsedQuery {
        let body = try await collect(request)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") {
            guard body.count <= limits.maxJSONBytes else {
                throw HTTPError(.contentTooLarge, message: "a JSON body may hold at most \(limits.maxJSONBytes) bytes; this one holds \(body.count)")
            }
            let json: TextQuery
            do { json = try JSONDecoder().decode(TextQuery.self, from: body) }
            catch { throw badRequest("malformed JSON: \(Self.describe(error))") }
            return ParsedQuery(query: .text(try text(json.text)), summary: QuerySummary(modality: "text", text: json.text),
                           k: try k(json.k), target: try target(json.target))
        }
        guard let kind = MediaKind(sniffing: body) else {
            let head = body.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
            let what = "(\(body.count) bytes, first bytes \(head))"
            throw HTTPError(.unsupportedMediaType, message: contentType.hasPrefix("multipart/")
                ? "multipart forms are not read: send the file's own bytes as the body (curl --data-binary @FILE) \(what)"
                : "not a PNG, JPEG, WAV, OGG or FLAC file, nor JSON sent as Content-Type: application/json \(what)")
        }
        let input: Tensor
        do { input = try service.inputs.input(data: body, field: kind.field, name: "upload.\(kind.rawValue)", audioLimits: limits.audio) }
        catch { throw HTTPError(.unprocessableContent, message: String(describing: error)) }
        let parameters = request.uri.queryParameters
        let k = try parameters["k"].map { raw in
            guard let value = Int(raw) else { throw badRequest("k: must be an integer from 1 to \(limits.maxK), got '\(raw)'") }
            return value
        }
        return ParsedQuery(query: .input(input, kind.field), summary: QuerySummary(modality: kind.field.modality.rawValue, bytes: body.count),
                       k: try self.k(k), target: try target(parameters["target"].map(String.init)))
    }

    /// The whole body, refused past `maxUploadBytes` without reading the rest.
    private func collect(_ request: Request) async throws -> Data {
        let tooLarge = HTTPError(.contentTooLarge, message: "the body is larger than the limit of \(limits.maxUploadBytes) bytes")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maxUploadBytes { throw tooLarge }
        do {
            let buffer = try await request.body.collect(upTo: limits.maxUploadBytes)
            guard buffer.readableBytes > 0 else {
                throw badRequest("the body is empty: send JSON {\"text\": ...} or the bytes of an image or sound file")
            }
            return Data(buffer.readableBytesView)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        }
    }

    private func text(_ raw: String) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw badRequest("text: is empty") }
        guard text.count <= limits.maxTextCharacters else {
            throw badRequest("text: has \(text.count) characters; the limit is \(limits.maxTextCharacters)")
        }
        guard service.inputs.tokenizer != nil else {
            throw HTTPError(.unprocessableContent, message: "this model has no text tower or names no tokenizer")
        }
        return text
    }

    private func k(_ value: Int?) throws -> Int {
        guard let value else { return limits.defaultK }
        guard (1...limits.maxK).contains(value) else { throw badRequest("k: must be an integer from 1 to \(limits.maxK), got \(value)") }
        return value
    }

    /// "image", "audio" or "text"; nil or "" for every modality.
    private func target(_ raw: String?) throws -> Modality? {
        guard let raw, !raw.isEmpty else { return nil }
        guard let modality = Modality(rawValue: raw) else {
            throw badRequest("target: must be image, audio or text (or absent for all), got '\(raw)'")
        }
        return modality
    }

    private func labels(_ raw: Substring?) throws -> [String] {
        let labels = (raw ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard labels.count >= 2 else { throw badRequest("labels: give at least two comma-separated labels, e.g. ?labels=cow,dog") }
        guard labels.count <= limits.maxLabels else { throw badRequest("labels: \(labels.count) given; the limit is \(limits.maxLabels)") }
        if let long = labels.first(where: { $0.count > limits.maxLabelCharacters }) {
            throw badRequest("labels: '\(long.prefix(20))...' is longer than \(limits.maxLabelCharacters) characters")
        }
        guard Set(labels).count == labels.count else { throw badRequest("labels: each label may appear once") }
        return labels
    }

    // MARK: Answers

    /// Runs service work; what the model cannot do with a valid request is a 422.
    private func served<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        do { return try await work() }
        catch let error as HTTPError { throw error }
        catch { throw HTTPError(.unprocessableContent, message: String(describing: error)) }
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = (ContinuousClock.now - start).components
        return ((Double(elapsed.seconds) * 1e3 + Double(elapsed.attoseconds) * 1e-15) * 100).rounded() / 100
    }

    /// A decoding error as one line: what was wrong and where.
    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.isEmpty ? "" : context.codingPath.map(\.stringValue).joined(separator: ".") + ": "
        }
        switch error {
        case .keyNotFound(let key, _): return "\(key.stringValue): is missing"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return path(c) + c.debugDescription
        case .dataCorrupted(let c): return path(c) + ((c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? c.debugDescription)
        @unknown default: return String(describing: error)
        }
    }
}
