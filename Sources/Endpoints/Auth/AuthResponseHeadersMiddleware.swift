import Foundation
import HTTPTypes
import Hummingbird

/// Marks every response to a request that carried credentials as private to that caller:
/// `Cache-Control: private` (unless the handler chose a cache policy) and `Vary: Authorization`
/// (PDS-REFERENCE §2.1). Error responses get the same headers.
struct AuthResponseHeadersMiddleware: RouterMiddleware {
    typealias Context = PDSRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.authorization] != nil else {
            return try await next(request, context)
        }
        do {
            var response = try await next(request, context)
            Self.mark(&response.headers)
            return response
        } catch var error as XRPCError {
            Self.mark(&error.headers)
            throw error
        }
    }

    static func mark(_ headers: inout HTTPFields) {
        if headers[.cacheControl] == nil { headers[.cacheControl] = "private" }
        let vary = headers[values: .vary].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if !vary.contains("authorization") { headers.append(HTTPField(name: .vary, value: "Authorization")) }
    }
}
