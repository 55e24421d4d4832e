import Hummingbird

/// CORS as the reference PDS configures it (`cors({maxAge: 86400})`): every origin, every
/// response gets `Access-Control-Allow-Origin: *`; an OPTIONS request is answered here with 204,
/// the allowed methods, the requested headers reflected, and a max age of one day.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = PDSRequestContext

    static let allowedMethods = "GET,HEAD,PUT,PATCH,POST,DELETE"
    static let maxAge = "86400"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .options {
            var headers: HTTPFields = [
                .accessControlAllowOrigin: "*",
                .accessControlAllowMethods: Self.allowedMethods,
                .accessControlMaxAge: Self.maxAge,
                .contentLength: "0",
            ]
            if let requested = request.headers[.accessControlRequestHeaders] {
                headers[.accessControlAllowHeaders] = requested
                headers[.vary] = "Access-Control-Request-Headers"
            }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }
}
