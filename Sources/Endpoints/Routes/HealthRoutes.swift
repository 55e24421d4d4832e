import Hummingbird
import Logging
import Telemetry

/// Kubernetes-style `/livez` and `/readyz`: 200 `ok` or 503. `?verbose` lists each check as
/// `[+]name ok` / `[-]name failed`; failure reasons go only to the log, since the endpoints are
/// public. `/livez/<check>` and `/readyz/<check>` run one check (404 for an unknown name).
enum HealthRoutes {
    static func add(to router: Router<PDSRequestContext>, health: HealthRegistry) {
        for kind in [HealthCheckKind.liveness, .readiness] {
            let path = kind == .liveness ? "livez" : "readyz"
            router.get(RouterPath("/\(path)")) { request, context in
                await respond(kind: kind, path: path, only: nil, verbose: request.xrpcParameters.contains("verbose"), health: health, logger: context.logger)
            }
            router.get(RouterPath("/\(path)/:check")) { request, context in
                let name = try context.parameters.require("check")
                guard health.names(kind).contains(name) else {
                    throw XRPCError.notFound("no \(path) check named \(name)")
                }
                return await respond(kind: kind, path: path, only: name, verbose: request.xrpcParameters.contains("verbose"), health: health, logger: context.logger)
            }
        }
    }

    static func respond(kind: HealthCheckKind, path: String, only: String?, verbose: Bool, health: HealthRegistry, logger: Logger) async -> Response {
        let report = await health.run(kind, only: only)
        for failure in report.failures {
            logger.warning(
                "\(path) check failed",
                metadata: ["check": .string(failure.name), "reason": .string(failure.reason ?? "failed")]
            )
        }
        let status: HTTPResponse.Status = report.ok ? .ok : .serviceUnavailable
        guard verbose || !report.ok else { return TextBody.response("ok\n") }
        var text = ""
        for result in report.results {
            text += result.ok ? "[+]\(result.name) ok\n" : "[-]\(result.name) failed\n"
        }
        text += report.ok ? "\(path) check passed\n" : "\(path) check failed\n"
        return TextBody.response(text, status: status)
    }
}
