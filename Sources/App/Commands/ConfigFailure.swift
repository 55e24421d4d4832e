import ArgumentParser
import Foundation

/// Prints a configuration problem as one line on stderr and returns the exit code 78 to throw.
func configFailure(_ error: ConfigError) -> ExitCode {
    FileHandle.standardError.write(Data("pds: \(error.message)\n".utf8))
    return ExitCode(ConfigError.exitCode)
}
