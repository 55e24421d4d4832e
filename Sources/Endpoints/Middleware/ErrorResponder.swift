import Hummingbird
import Logging
import NIOCore

/// Turns any error into an XRPC error response (`{"error","message"}`), logging it.
enum ErrorResponder {
    static func response(for error: any Error, request: Request, logger: Logger) -> Response {
        xrpcError(for: error, request: request, logger: logger).response()
    }

    static func xrpcError(for error: any Error, request: Request, logger: Logger) -> XRPCError {
        let xrpc: XRPCError
        switch error {
        case let error as XRPCError:
            xrpc = error
        case is NIOTooManyBytesError:
            xrpc = .payloadTooLarge()
        case let error as HTTPError:
            xrpc = XRPCError.forStatus(error.status, message: error.body)
        case let error as any HTTPResponseError where error.status.code < 500:
            xrpc = XRPCError.forStatus(error.status)
        default:
            logger.error(
                "unhandled error in \(request.method.rawValue) \(request.uri.path)",
                metadata: [
                    "error": .string(String(describing: error)),
                    "error_type": .string(String(reflecting: type(of: error))),
                ]
            )
            return .internalServerError()
        }
        if logger.logLevel <= xrpc.logLevel {
            logger.log(
                level: xrpc.logLevel,
                "\(xrpc.code.rawValue) error in \(request.method.rawValue) \(request.uri.path)",
                metadata: [
                    "error": .string(xrpc.code.rawValue),
                    "error_message": .string(xrpc.message),
                    "status": .stringConvertible(xrpc.status.code),
                ]
            )
        }
        return xrpc
    }
}
