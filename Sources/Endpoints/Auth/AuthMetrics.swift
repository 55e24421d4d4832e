import CoreMetrics

/// `pds_auth_attempts_total{method,result}`.
struct AuthMetrics: Sendable {
    /// How the caller authenticated.
    enum Method: String, Sendable, CaseIterable {
        case password
        case appPassword = "app_password"
        case refresh
        case access
        case admin
        /// An inter-service JWT signed by the caller's DID key.
        case service
    }

    /// What came of it.
    enum Result: String, Sendable, CaseIterable {
        case ok
        /// Wrong credentials, unknown account, missing header.
        case failed
        /// A token past its expiry.
        case expired
        /// A malformed, forged or wrong-kind token.
        case invalid
    }

    private let counters: [String: Counter]

    init(factory: any MetricsFactory) {
        var counters: [String: Counter] = [:]
        for method in Method.allCases {
            for result in Result.allCases {
                counters[method.rawValue + "|" + result.rawValue] = Counter(
                    label: "pds_auth_attempts_total",
                    dimensions: [("method", method.rawValue), ("result", result.rawValue)],
                    factory: factory)
            }
        }
        self.counters = counters
    }

    func record(_ method: Method, _ result: Result) {
        counters[method.rawValue + "|" + result.rawValue]?.increment()
    }

    /// The result label for an error a token verification threw.
    static func result(for error: XRPCError) -> Result {
        if error.code == .expiredToken { return .expired }
        if error.code == .invalidToken || error.code.rawValue == "MissingTokenId" { return .invalid }
        return .failed
    }
}
