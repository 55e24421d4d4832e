import Foundation
import Testing

@testable import Endpoints

@Suite struct AuthorizationHeaderTests {
    @Test func parsesTheThreeTypes() throws {
        #expect(try AuthorizationHeader.parse(nil) == nil)
        #expect(try AuthorizationHeader.parse("Bearer abc.def.ghi") == .bearer("abc.def.ghi"))
        #expect(try AuthorizationHeader.parse("bearer abc") == .bearer("abc"))
        #expect(try AuthorizationHeader.parse("BEARER abc") == .bearer("abc"))
        #expect(try AuthorizationHeader.parse("DPoP abc") == .dpop("abc"))
        let basic = "Basic " + Data("admin:pa:ss".utf8).base64EncodedString()
        #expect(try AuthorizationHeader.parse(basic) == .basic(username: "admin", password: "pa:ss"))
        #expect(try AuthorizationHeader.parse("Basic !!!") == .basic(username: "", password: ""))
    }

    @Test func malformedHeadersAreInvalidToken() {
        for value in ["", "Bearer", "Bearer ", "Bearer a b", "Bearer  a", "Token abc", "abc", " Bearer abc"] {
            do {
                _ = try AuthorizationHeader.parse(value)
                Issue.record("accepted \(value)")
            } catch {
                #expect(error.code == .invalidToken, "\(value)")
                #expect(error.status == .badRequest, "\(value)")
            }
        }
    }
}
