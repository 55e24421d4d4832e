import Hummingbird
import NIOCore
import Telemetry

/// `GET /metrics`: Prometheus text exposition 0.0.4.
enum MetricsRoute {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func add(to router: Router<PDSRequestContext>, metrics: TelemetryMetrics) {
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
    }
}
