import Foundation

/// Runs external tools (promtool, journalctl, systemd-journald) for integration tests.
enum Subprocess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func which(_ candidates: [String]) -> String? {
        candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let inPipe = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let stdin {
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
            try inPipe.fileHandleForWriting.close()
        }
        // Read both pipes before waiting so a full pipe cannot block the child.
        let errData = ReadBox()
        let errThread = Thread { errData.data = errPipe.fileHandleForReading.readDataToEndOfFile() }
        errThread.start()
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.done { usleep(1_000) }
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.data ?? Data(), as: UTF8.self)
        )
    }
}

/// Data read on another thread, published through a lock.
final class ReadBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _data: Data?
    private var _done = false

    var data: Data? {
        get { lock.withLock { _data } }
        set { lock.withLock { _data = newValue; _done = true } }
    }

    var done: Bool { lock.withLock { _done } }
}
