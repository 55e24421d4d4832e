extension Duration {
    /// Whole nanoseconds: for swift-metrics timers (`recordNanoseconds`) and NIO time amounts. The durations
    /// measured here (requests, queries, timeouts) are far from overflowing `Int64`.
    public var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }

    /// Whole milliseconds, for log values such as `duration_ms`.
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
