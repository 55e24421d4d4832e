import Logging

/// A logger that drops everything (tests never bootstrap the global LoggingSystem).
let testLogger = Logger(label: "storage-tests", factory: { _ in SwiftLogNoOpLogHandler() })
