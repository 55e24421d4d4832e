import Hummingbird
import Logging
import NIOHTTP1
import Telemetry

/// The outermost layer of every request: request id, in-flight gauge, request metrics and the one
/// log event per request. It wraps the router so it also sees requests no route matched.
///
/// Metrics and the log event are recorded when the response leaves the handler if the body length
/// is known (buffered bodies), or after the last byte is written for streamed bodies.
struct ObservedResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == PDSRequestContext {
    typealias Context = PDSRequestContext

    let inner: Inner
    let metrics: HTTPMetrics
    let maxRequestBodyBytes: Int
    /// Run the handler with its connection's event loop as preferred task executor (``EventLoopTaskExecutor``).
    let onConnectionLoop: Bool

    /// The `route` label of requests that matched no route.
    static var unmatchedRoute: String { Observation.unmatchedRoute }

    func respond(to request: Request, context: PDSRequestContext) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let requestID = RequestID.resolve(request.headers[RequestID.headerName])
        context.requestID = requestID
        context.maxUploadSize = maxRequestBodyBytes
        context.logger[metadataKey: "request_id"] = .string(requestID)
        metrics.inFlight.increment()

        var response: Response
        do {
            if onConnectionLoop {
                let context = context
                response = try await withTaskExecutorPreference(EventLoopTaskExecutor.of(context.eventLoop)) {
                    try await inner.respond(to: request, context: context)
                }
            } else {
                response = try await inner.respond(to: request, context: context)
            }
        } catch let error as HTTPParserError {
            // The HTTP channel answers 400 itself and closes the connection.
            observation(request, context, .badRequest, start).finish(bytes: 0)
            throw error
        } catch {
            response = ErrorResponder.response(for: error, request: request, logger: context.logger)
        }
        response.headers[RequestID.headerName] = requestID

        let observation = observation(request, context, response.status, start)
        if let length = response.body.contentLength {
            observation.finish(bytes: request.method == .head ? 0 : length)
        } else {
            let body = response.body
            response.body = ResponseBody { writer in
                let counting = CountingResponseBodyWriter(parent: writer)
                do {
                    try await body.write(counting)
                } catch {
                    observation.finish(bytes: counting.counter.value)
                    throw error
                }
                observation.finish(bytes: counting.counter.value)
            }
        }
        return response
    }

    private func observation(
        _ request: Request,
        _ context: PDSRequestContext,
        _ status: HTTPResponse.Status,
        _ start: ContinuousClock.Instant
    ) -> Observation {
        Observation(
            metrics: metrics,
            logger: context.logger,
            method: request.method,
            path: request.uri.path,
            route: Self.routeLabel(context.endpointPath),
            status: status,
            start: start
        )
    }

    /// Maps the router's endpoint path to a bounded label.
    static func routeLabel(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath != "NotFound", endpointPath != XRPCRoutes.wildcardPath else {
            return unmatchedRoute
        }
        return endpointPath
    }
}

/// What the request log and metrics need once the response is done.
struct Observation: Sendable {
    /// The `route` label of requests that matched no route (or an unknown XRPC method).
    static let unmatchedRoute = "other"

    let metrics: HTTPMetrics
    let logger: Logger
    let method: HTTPRequest.Method
    let path: String
    let route: String
    let status: HTTPResponse.Status
    let start: ContinuousClock.Instant

    func finish(bytes: Int) {
        let elapsed = ContinuousClock.now - start
        let nanoseconds = elapsed.nanoseconds
        metrics.inFlight.decrement()
        metrics.record(method: method, route: route, status: status, durationNanoseconds: nanoseconds, responseBytes: bytes)
        // The path (never the query string) is logged only when the route does not already name the endpoint.
        logger.logRequest(
            RequestLogEvent(
                method: method.rawValue, route: route, status: status.code, durationNanoseconds: nanoseconds,
                bytes: bytes, path: route == Self.unmatchedRoute ? path : nil))
    }
}
