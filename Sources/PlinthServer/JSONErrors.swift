import Hummingbird

/// Turns every error a route throws into a JSON answer, `{"error": {"message": "..."}}`:
/// HTTP errors keep their status (a bare one gets its reason phrase as message),
/// anything else is a 500 that names the error.
struct JSONErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.body != nil {
            throw error
        } catch let error as HTTPResponseError {
            throw HTTPError(error.status, message: error.status.reasonPhrase)
        } catch {
            throw HTTPError(.internalServerError, message: String(describing: error))
        }
    }
}

/// A 400 Bad Request naming what was wrong.
func badRequest(_ message: String) -> HTTPError { HTTPError(.badRequest, message: message) }
