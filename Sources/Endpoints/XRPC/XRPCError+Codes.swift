import HTTPTypes
import Logging

// MARK: - Codes

extension XRPCError.Code {
    public static let invalidRequest: Self = "InvalidRequest"
    /// The wire name of 401: atproto has no `AuthRequired` on the wire.
    public static let authenticationRequired: Self = "AuthenticationRequired"
    /// Same value as ``authenticationRequired``.
    public static let authRequired: Self = "AuthenticationRequired"
    public static let authMissing: Self = "AuthMissing"
    public static let forbidden: Self = "Forbidden"
    public static let notFound: Self = "NotFound"
    public static let xrpcNotSupported: Self = "XRPCNotSupported"
    public static let expiredToken: Self = "ExpiredToken"
    public static let invalidToken: Self = "InvalidToken"
    public static let methodNotImplemented: Self = "MethodNotImplemented"
    public static let payloadTooLarge: Self = "PayloadTooLarge"
    public static let unsupportedMediaType: Self = "UnsupportedMediaType"
    public static let recordNotFound: Self = "RecordNotFound"
    public static let repoNotFound: Self = "RepoNotFound"
    public static let invalidSwap: Self = "InvalidSwap"
    public static let rateLimitExceeded: Self = "RateLimitExceeded"
    public static let internalServerError: Self = "InternalServerError"
    public static let upstreamFailure: Self = "UpstreamFailure"
    public static let notEnoughResources: Self = "NotEnoughResources"
    public static let serviceUnavailable: Self = "ServiceUnavailable"
    public static let upstreamTimeout: Self = "UpstreamTimeout"
}

// MARK: - Constructors

extension XRPCError {
    /// 400. `code` lets a handler name a more specific error (`"HandleNotFound"`) with the same status.
    public static func invalidRequest(_ message: String, code: Code = .invalidRequest) -> XRPCError {
        XRPCError(code, message: message, status: .badRequest)
    }

    /// 401 `AuthenticationRequired` (or another 401 code such as `AuthMissing`).
    public static func authenticationRequired(_ message: String = "Authentication Required", code: Code = .authenticationRequired) -> XRPCError {
        XRPCError(code, message: message, status: .unauthorized)
    }

    /// 401 `AuthMissing`, the reference PDS's answer to a missing Authorization header.
    public static func authMissing(_ message: String = "Authentication Required") -> XRPCError {
        XRPCError(.authMissing, message: message, status: .unauthorized)
    }

    /// 400 `ExpiredToken`: official clients refresh their session on exactly this error.
    public static func expiredToken(_ message: String = "Token has expired") -> XRPCError {
        XRPCError(.expiredToken, message: message, status: .badRequest)
    }

    /// 400 `InvalidToken`.
    public static func invalidToken(_ message: String = "Token could not be verified") -> XRPCError {
        XRPCError(.invalidToken, message: message, status: .badRequest)
    }

    /// 403 `Forbidden`.
    public static func forbidden(_ message: String = "Forbidden", code: Code = .forbidden) -> XRPCError {
        XRPCError(code, message: message, status: .forbidden)
    }

    /// 404 `NotFound` (non-XRPC paths that do not exist).
    public static func notFound(_ message: String = "Not Found") -> XRPCError {
        XRPCError(.notFound, message: message, status: .notFound)
    }

    /// 501 `MethodNotImplemented`, logged at debug: clients probe for methods.
    public static func methodNotImplemented(_ nsid: String? = nil) -> XRPCError {
        XRPCError(.methodNotImplemented, message: "Method Not Implemented", status: .notImplemented, logLevel: .debug)
    }

    /// 413 `PayloadTooLarge`.
    public static func payloadTooLarge(_ message: String = "request entity too large") -> XRPCError {
        XRPCError(.payloadTooLarge, message: message, status: .contentTooLarge)
    }

    /// 415 `UnsupportedMediaType`.
    public static func unsupportedMediaType(_ message: String) -> XRPCError {
        XRPCError(.unsupportedMediaType, message: message, status: .unsupportedMediaType)
    }

    /// 400 `RecordNotFound`, as the reference PDS answers getRecord.
    public static func recordNotFound(_ message: String = "Could not locate record") -> XRPCError {
        XRPCError(.recordNotFound, message: message, status: .badRequest)
    }

    /// 400 `RepoNotFound`.
    public static func repoNotFound(_ message: String = "Could not find repo") -> XRPCError {
        XRPCError(.repoNotFound, message: message, status: .badRequest)
    }

    /// 400 `InvalidSwap`.
    public static func invalidSwap(_ message: String) -> XRPCError {
        XRPCError(.invalidSwap, message: message, status: .badRequest)
    }

    /// 429 `RateLimitExceeded`.
    public static func rateLimitExceeded(_ message: String = "Rate Limit Exceeded", headers: HTTPFields = [:]) -> XRPCError {
        XRPCError(.rateLimitExceeded, message: message, status: .tooManyRequests, headers: headers)
    }

    /// 500 `InternalServerError`. The message on the wire is always "Internal Server Error", as in
    /// the reference; details belong in the log.
    public static func internalServerError() -> XRPCError {
        XRPCError(.internalServerError, message: "Internal Server Error", status: .internalServerError)
    }

    /// 502 `UpstreamFailure`.
    public static func upstreamFailure(_ message: String = "Upstream Failure") -> XRPCError {
        XRPCError(.upstreamFailure, message: message, status: .badGateway)
    }

    /// 503 `ServiceUnavailable`.
    public static func serviceUnavailable(_ message: String = "Service Unavailable") -> XRPCError {
        XRPCError(.serviceUnavailable, message: message, status: .serviceUnavailable, logLevel: .warning)
    }

    /// 504 `UpstreamTimeout`.
    public static func upstreamTimeout(_ message: String = "Upstream Timeout") -> XRPCError {
        XRPCError(.upstreamTimeout, message: message, status: .gatewayTimeout)
    }

    /// The XRPC error for any HTTP status, using the reference's default names.
    public static func forStatus(_ status: HTTPResponse.Status, message: String? = nil) -> XRPCError {
        let code: Code
        switch status.code {
        case 400: code = .invalidRequest
        case 401: code = .authenticationRequired
        case 403: code = .forbidden
        case 404: code = .notFound
        case 413: code = .payloadTooLarge
        case 415: code = .unsupportedMediaType
        case 429: code = .rateLimitExceeded
        case 500: return .internalServerError()
        case 501: code = .methodNotImplemented
        case 502: code = .upstreamFailure
        case 503: code = .serviceUnavailable
        case 504: code = .upstreamTimeout
        default: code = Code(rawValue: status.code >= 500 ? "InternalServerError" : "InvalidRequest")
        }
        return XRPCError(code, message: message ?? status.reasonPhrase, status: status)
    }
}
