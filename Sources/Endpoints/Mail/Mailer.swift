#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Storage

/// One plain-text email.
public struct MailMessage: Sendable, Equatable {
    public var to: String
    public var subject: String
    public var text: String

    public init(to: String, subject: String, text: String) {
        self.to = to
        self.subject = subject
        self.text = text
    }
}

/// Sends the account emails (codes for confirming, changing, resetting, deleting, signing a PLC operation).
public protocol Mailer: Sendable {
    func send(_ message: MailMessage) async throws
}

public struct MailerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Hands each message to a local `sendmail` program (`sendmail -t -i`, as Postfix, Exim, OpenSMTPD and msmtp
/// install it: msmtp forwards to any SMTP provider). The message goes on standard input with `From`, `To`,
/// `Subject`, `Date`, `Message-ID` and a UTF-8 plain-text body; the program must exit 0 within 30 s. The process
/// runs off the event loops (``BlockingFileWork``).
public struct SendmailMailer: Mailer {
    public var path: String
    public var from: String
    public var timeout: TimeInterval

    public init(path: String = "/usr/sbin/sendmail", from: String, timeout: TimeInterval = 30) {
        self.path = path
        self.from = from
        self.timeout = timeout
    }

    /// A program that exits without reading its input must not kill the server: writing to its pipe then fails
    /// with EPIPE instead of raising SIGPIPE (whose default action ends the process).
    private static let pipeSignalIgnored: Void = { signal(SIGPIPE, SIG_IGN) }()

    public func send(_ message: MailMessage) async throws {
        _ = Self.pipeSignalIgnored
        let data = Data(Self.render(message, from: from, date: Date()).utf8)
        let path = self.path
        let timeout = self.timeout
        let outcome: String? = await BlockingFileWork.perform {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["-t", "-i"]
            let input = Pipe()
            let errors = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            do {
                try process.run()
            } catch {
                return "could not start \(path): \(error)"
            }
            do {
                try input.fileHandleForWriting.write(contentsOf: data)
                try input.fileHandleForWriting.close()
            } catch {
                process.terminate()
                process.waitUntilExit()
                return "could not write to \(path): \(error)"
            }
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
                return "\(path) did not finish within \(Int(timeout)) s"
            }
            guard process.terminationStatus == 0 else {
                let detail = String(decoding: errors.fileHandleForReading.availableData.prefix(300), as: UTF8.self)
                return "\(path) exited with \(process.terminationStatus): \(detail.trimmingCharacters(in: .whitespacesAndNewlines))"
            }
            return nil
        }
        if let outcome { throw MailerError(outcome) }
    }

    /// The RFC 5322 message: headers (the subject encoded as UTF-8 when it is not plain ASCII), a blank line, the
    /// text with CRLF line ends.
    static func render(_ message: MailMessage, from: String, date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        let subject = message.subject.allSatisfy(\.isASCII)
            ? message.subject : "=?UTF-8?B?\(Data(message.subject.utf8).base64EncodedString())?="
        let headers = [
            "From: \(from)", "To: \(message.to)", "Subject: \(subject)", "Date: \(formatter.string(from: date))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
        ]
        let body = message.text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n"
    }
}

/// The account emails' texts (the reference's templates, in plain text).
enum MailTemplates {
    @Sendable static func confirmEmail(token: String) -> (subject: String, text: String) {
        ("Email Confirmation", "To confirm this email address for your account, enter this code:\n\n    \(token)\n\nIt is valid for 15 minutes. If you did not ask for it, you can ignore this email.")
    }

    @Sendable static func updateEmail(token: String) -> (subject: String, text: String) {
        ("Email Update Requested", "To change the email address of your account, enter this code:\n\n    \(token)\n\nIt is valid for 15 minutes. If you did not ask for it, someone may know your password: change it.")
    }

    static func resetPassword(token: String, identifier: String) -> (subject: String, text: String) {
        ("Password Reset Requested", "A password reset was requested for \(identifier). Enter this code to set a new password:\n\n    \(token)\n\nIt is valid for 15 minutes. If you did not ask for it, you can ignore this email.")
    }

    @Sendable static func deleteAccount(token: String) -> (subject: String, text: String) {
        ("Account Deletion Request", "To delete your account for good, enter this code with your password:\n\n    \(token)\n\nIt is valid for 15 minutes. If you did not ask for it, someone may know your password: change it.")
    }

    @Sendable static func plcOperation(token: String) -> (subject: String, text: String) {
        ("PLC Update Operation Requested", "To sign a change of your account's identity (DID document), for example to move to another server, enter this code:\n\n    \(token)\n\nIt is valid for 15 minutes. If you did not ask for it, someone may know your password: change it.")
    }
}
