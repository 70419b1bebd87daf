import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import PlinthRecipes
import PlinthServer
import ServiceLifecycle

/// The shipped model and the sample index, loaded once for every test.
let sharedService: SearchService = {
    do { return try SearchService(modelFile: Assets.defaultModel, indexFile: nil, samples: Assets.samples) }
    catch { fatalError("cannot load the shipped model and samples: \(error)") }
}()

/// An answer as a client sees it.
struct Answer: Sendable {
    let status: Int
    let contentType: String
    let data: Data
    /// The body as a JSON object (empty if it is not one).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }
    /// `error.message` of a JSON error answer.
    var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
    var results: [[String: Any]] { json["results"] as? [[String: Any]] ?? [] }
}

/// A client of a server started on a free port of 127.0.0.1 for one test.
struct Client: Sendable {
    let base: URL

    func get(_ path: String) async throws -> Answer {
        try await send(URLRequest(url: URL(string: path, relativeTo: base)!))
    }

    func post(_ path: String, body: Data, type: String?) async throws -> Answer {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!)
        request.httpMethod = "POST"
        request.httpBody = body
        if let type { request.setValue(type, forHTTPHeaderField: "Content-Type") }
        return try await send(request)
    }

    func post(_ path: String, json: String) async throws -> Answer {
        try await post(path, body: Data(json.utf8), type: "application/json")
    }

    private func send(_ request: URLRequest) async throws -> Answer {
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return Answer(status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type") ?? "", data: data)
    }
}

/// Runs `body` against a live server with `limits`, then shuts the server down gracefully.
func withServer(limits: ServerLimits = ServerLimits(), _ body: @Sendable (Client) async throws -> Void) async throws {
    let (ports, found) = AsyncStream.makeStream(of: Int.self)
    let app = Application(router: makeRouter(service: sharedService, page: Assets.web, limits: limits),
                          configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { found.yield($0.localAddress?.port ?? 0) })
    let services = ServiceGroup(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: app.logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        var waiting = ports.makeAsyncIterator()
        let port = await waiting.next() ?? 0
        do { try await body(Client(base: URL(string: "http://127.0.0.1:\(port)")!)) }
        catch { await services.triggerGracefulShutdown(); throw error }
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
    }
}

/// A sample file's bytes.
func sample(_ name: String) throws -> Data {
    try Data(contentsOf: Assets.samples.appendingPathComponent(name))
}
