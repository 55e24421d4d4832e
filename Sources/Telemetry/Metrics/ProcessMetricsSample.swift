/// One reading of the standard Prometheus `process_*` values for this process.
public struct ProcessMetricsSample: Sendable, Equatable {
    /// User plus system CPU time, in seconds.
    public var cpuSeconds: Double
    public var residentMemoryBytes: Double
    public var virtualMemoryBytes: Double
    public var openFDs: Double
    /// Soft limit of open file descriptors.
    public var maxFDs: Double
    /// Process start time since the unix epoch, in seconds.
    public var startTimeSeconds: Double
    public var threads: Double

    public init(
        cpuSeconds: Double,
        residentMemoryBytes: Double,
        virtualMemoryBytes: Double,
        openFDs: Double,
        maxFDs: Double,
        startTimeSeconds: Double,
        threads: Double
    ) {
        self.cpuSeconds = cpuSeconds
        self.residentMemoryBytes = residentMemoryBytes
        self.virtualMemoryBytes = virtualMemoryBytes
        self.openFDs = openFDs
        self.maxFDs = maxFDs
        self.startTimeSeconds = startTimeSeconds
        self.threads = threads
    }
}
