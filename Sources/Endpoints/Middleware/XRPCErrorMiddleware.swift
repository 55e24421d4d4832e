import Hummingbird
import NIOHTTP1

/// Catches every error a route throws and answers with the XRPC error body, so no handler can
/// produce an empty 500.
struct XRPCErrorMiddleware: RouterMiddleware {
    typealias Context = PDSRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPParserError {
            // The HTTP channel answers malformed requests itself and closes the connection.
            throw error
        } catch {
            return ErrorResponder.response(for: error, request: request, logger: context.logger)
        }
    }
}
