extension ConfigOptions {
    /// The loaded configuration, or (after one line on stderr) the exit status 78 to throw.
    func loadOrExit() throws -> LoadedConfig {
        do throws(ConfigError) {
            return try loader().load()
        } catch {
            throw configFailure(error)
        }
    }
}
