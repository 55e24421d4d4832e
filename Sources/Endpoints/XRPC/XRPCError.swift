import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The one error type of every XRPC endpoint.
///
/// Every error response has the body `{"error": code, "message": text}` with
/// `Content-Type: application/json; charset=utf-8` and the HTTP status of the error. The log level
/// is that of the event describing the error (besides the request log line): client errors at
/// debug, server errors at error.
public struct XRPCError: Error, HTTPResponseError, Sendable {
    /// The wire name of the error (`"InvalidRequest"`, `"ExpiredToken"`, ...). Extensible: any
    /// string literal is a code.
    public struct Code: Hashable, Sendable, RawRepresentable, ExpressibleByStringLiteral, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public init(stringLiteral value: String) {
            self.rawValue = value
        }

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    public var status: HTTPResponse.Status
    public var logLevel: Logger.Level
    /// Extra response headers (for example `WWW-Authenticate` or `Retry-After`).
    public var headers: HTTPFields

    /// - Parameters:
    ///   - logLevel: defaults to `.error` for 5xx statuses and `.debug` otherwise, so that at the
    ///     default level a client error adds no event beside the request's own log line.
    public init(
        _ code: Code,
        message: String,
        status: HTTPResponse.Status,
        logLevel: Logger.Level? = nil,
        headers: HTTPFields = [:]
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.logLevel = logLevel ?? (status.code >= 500 ? .error : .debug)
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response()
    }

    /// The JSON error response.
    public func response() -> Response {
        var fields = self.headers
        fields[.contentType] = JSONBody.contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: JSONBody.errorBody(code: code.rawValue, message: message)))
    }
}

extension XRPCError: CustomStringConvertible {
    public var description: String { "\(code.rawValue) (\(status.code)): \(message)" }
}
