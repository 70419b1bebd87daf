import Foundation
import Hummingbird
import PlinthAdapters
import PlinthRecipes

/// The routes of `plinth serve`:
/// - `GET /`, `/app.js`, `/style.css`: the page, read from `page` per request;
/// - `GET /api/health`; `POST /api/search`, `/api/embed`, `/api/classify` (see ``ServerAPI``);
/// - `GET /media/N`: the file of index item N, for thumbnails and players.
///
/// Every error is answered in JSON, `{"error": {"message": "..."}}`.
public func makeRouter(service: SearchService, page: URL, limits: ServerLimits = ServerLimits()) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: JSONErrors())
    let api = ServerAPI(service: service, limits: limits)
    router.get("/api/health") { _, _ in api.health() }
    router.post("/api/search") { request, _ in try await api.search(request) }
    router.post("/api/embed") { request, _ in try await api.embed(request) }
    router.post("/api/classify") { request, _ in try await api.classify(request) }
    router.get("/media/:item") { _, context in try media(context.parameters.get("item"), of: service.index) }
    for (route, file, type) in [("/", "index.html", "text/html; charset=utf-8"),
                                ("/app.js", "app.js", "text/javascript; charset=utf-8"),
                                ("/style.css", "style.css", "text/css; charset=utf-8")] {
        router.get(RouterPath(route)) { _, _ in
            let url = page.appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw HTTPError(.notFound, message: "the page file \(url.path) is missing")
            }
            return response(data, type: type)
        }
    }
    return router
}

/// Index item `item`'s file, if it has one that is an image or a sound.
private func media(_ item: String?, of index: EmbeddingIndex) throws -> Response {
    guard let n = item.flatMap(Int.init), index.items.indices.contains(n) else {
        throw HTTPError(.notFound, message: "no index item '\(item ?? "")' (items are 0 to \(index.count - 1))")
    }
    guard let path = index.items[n].path, let kind = MediaKind(path: path),
          let data = FileManager.default.contents(atPath: path) else {
        throw HTTPError(.notFound, message: "index item \(n) ('\(index.ids[n])') has no image or sound file here")
    }
    return response(data, type: kind.contentType)
}

private func response(_ data: Data, type: String) -> Response {
    Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
             body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}
