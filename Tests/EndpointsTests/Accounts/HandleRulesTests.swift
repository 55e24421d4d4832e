import Testing

@testable import Endpoints

@Suite("Handle rules and email syntax of createAccount")
struct HandleRulesTests {
    let rules = HandleRules(serviceDomains: [".pds.example.com", "users.example.net"])

    @Test("valid service handles are lower-cased", arguments: [
        ("alice.pds.example.com", "alice.pds.example.com"),
        ("ALICE.PDS.EXAMPLE.COM", "alice.pds.example.com"),
        ("a-b.users.example.net", "a-b.users.example.net"),
        ("abc.pds.example.com", "abc.pds.example.com"),
        ("abcdefghijklmnopqr.pds.example.com", "abcdefghijklmnopqr.pds.example.com"),
    ])
    func valid(_ input: String, _ expected: String) throws {
        #expect(try rules.validateNewHandle(input) == expected)
    }

    @Test("invalid handles name the reason", arguments: [
        ("", "InvalidHandle"),
        ("-alice.pds.example.com", "InvalidHandle"),
        ("alice.onion", "InvalidHandle"),
        ("alice.example.com", "UnsupportedDomain"),
        ("alice.users.example.net.evil.com", "UnsupportedDomain"),
        ("ab.pds.example.com", "InvalidHandle"),
        ("abcdefghijklmnopqrs.pds.example.com", "InvalidHandle"),
        ("x.alice.pds.example.com", "InvalidHandle"),
        ("www.pds.example.com", "HandleNotAvailable"),
        ("Support.pds.example.com", "HandleNotAvailable"),
    ])
    func invalid(_ input: String, _ code: String) {
        #expect(throws: XRPCError.self) { try rules.validateNewHandle(input) }
        do {
            _ = try rules.validateNewHandle(input)
        } catch {
            #expect(error.code.rawValue == code, "\(input)")
            #expect(error.status == .badRequest)
        }
    }

    @Test("service domains are normalised to a leading dot and lower case")
    func domains() {
        #expect(rules.serviceDomains == [".pds.example.com", ".users.example.net"])
        #expect(rules.isServiceHandle("bob.USERS.example.net"))
        #expect(!rules.isServiceHandle("users.example.net"))
        #expect(!rules.isServiceHandle("bobusers.example.net"))
    }

    @Test("the reserved list has the reference's names")
    func reserved() {
        #expect(ReservedHandles.names.count == 1029)
        for name in ["at", "pds", "admin", "support", "www", "barackobama"] {
            #expect(ReservedHandles.names.contains(name))
        }
        #expect(!ReservedHandles.names.contains("alice"))
    }

    @Test("email syntax", arguments: [
        ("alice@example.com", true), ("a.b+tag@mail.example.co.uk", true), ("x@a-b.io", true),
        ("", false), ("alice", false), ("@example.com", false), ("alice@", false), ("alice@example", false),
        ("a@b@example.com", false), ("al ice@example.com", false), (".alice@example.com", false),
        ("al..ice@example.com", false), ("alice@-example.com", false), ("alice@example..com", false),
        ("alice@1.2.3.4", false), ("\"alice\"@example.com", false), ("alicé@example.com", false),
        (String(repeating: "a", count: 65) + "@example.com", false),
    ])
    func email(_ input: String, _ valid: Bool) {
        #expect(EmailAddress.isValid(input) == valid, "\(input)")
    }
}
