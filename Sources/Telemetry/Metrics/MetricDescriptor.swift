/// One metric family as declared in ``MetricCatalog``: its name, type, HELP text, label names and,
/// for histograms, bucket upper bounds (in the metric's base unit: seconds or bytes).
public struct MetricDescriptor: Sendable, Hashable {
    public let name: String
    public let kind: MetricKind
    public let help: String
    public let labelNames: [String]
    public let buckets: [Double]?

    public init(name: String, kind: MetricKind, help: String, labelNames: [String] = [], buckets: [Double]? = nil) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labelNames = labelNames
        self.buckets = buckets
    }

    static func counter(_ name: String, _ help: String, labels: [String] = []) -> MetricDescriptor {
        MetricDescriptor(name: name, kind: .counter, help: help, labelNames: labels)
    }

    static func gauge(_ name: String, _ help: String, labels: [String] = []) -> MetricDescriptor {
        MetricDescriptor(name: name, kind: .gauge, help: help, labelNames: labels)
    }

    static func histogram(
        _ name: String,
        _ help: String,
        labels: [String] = [],
        buckets: [Double]
    ) -> MetricDescriptor {
        MetricDescriptor(name: name, kind: .histogram, help: help, labelNames: labels, buckets: buckets)
    }
}
