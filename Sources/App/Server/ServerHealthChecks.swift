import Foundation
import NIOCore
import Storage
import Telemetry

/// The checks `pds serve` registers.
///
/// Readiness: `database` (write round trip on the file that was opened), `migrations` (none pending),
/// `disk_space` (free space above the floor). Liveness: `event_loop` (every event loop runs a task),
/// `database_read` (a reader answers), and, only when `PDS_TEST_FAIL_LIVENESS_FILE` is set (tests),
/// `test_fail_file`, which fails while that file exists.
enum ServerHealthChecks {
    static func register(
        in health: HealthRegistry,
        database: Storage.Database,
        eventLoopGroup: any EventLoopGroup,
        dataDirectory: String,
        diskFreeFloorBytes: Int,
        environment: [String: String]
    ) {
        health.register(name: "database", kinds: [.readiness], timeout: .seconds(2)) {
            try await database.roundTrip()
        }
        health.register(name: "migrations", kinds: [.readiness], timeout: .seconds(2)) {
            let pending = try await database.pendingMigrations()
            guard pending.isEmpty else {
                throw HealthCheckError("pending migrations: \(pending.joined(separator: ", "))")
            }
        }
        health.register(name: "disk_space", kinds: [.readiness], timeout: .seconds(1)) {
            guard let free = DiskSpace.availableBytes(path: dataDirectory) else {
                throw HealthCheckError("cannot read free space of \(dataDirectory)")
            }
            guard free >= diskFreeFloorBytes else {
                throw HealthCheckError("\(free) bytes free, below the floor of \(diskFreeFloorBytes)")
            }
        }
        health.register(name: "event_loop", kinds: [.liveness], timeout: .seconds(1)) {
            for loop in eventLoopGroup.makeIterator() {
                try await loop.submit {}.get()
            }
        }
        health.register(name: "database_read", kinds: [.liveness], timeout: .seconds(2)) {
            try await database.ping()
        }
        if let path = environment["PDS_TEST_FAIL_LIVENESS_FILE"], !path.isEmpty {
            health.register(name: "test_fail_file", kinds: [.liveness], timeout: .seconds(1)) {
                if FileManager.default.fileExists(atPath: path) {
                    throw HealthCheckError("test hook: \(path) exists")
                }
            }
        }
    }
}
