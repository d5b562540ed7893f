import AccordDomain
import AccordHTTP
import Foundation
import Testing

@Suite("API decoding")
struct APICodingTests {
    struct Body: Codable, Equatable {
        var party: String
        var note: String?
    }

    @Test("what the shape scanner refuses but Foundation's parser takes (a trailing comma) is still taken, its unknown fields still named")
    func foundationFallback() throws {
        #expect(try APICoding.decode(Body.self, from: Array(#"{"party":"DE","note":"x",}"#.utf8)) == Body(party: "DE", note: "x"))
        do {
            _ = try APICoding.decode(Body.self, from: Array(#"{"party":"DE","nota":"x",}"#.utf8))
            Issue.record("an unknown field behind a trailing comma was taken")
        } catch let problem as Problem {
            #expect(problem.code == "malformed-request" && problem.extensions["errors"] == .array([.string("nota: unknown field")]))
        }
    }

    @Test("escaped keys are compared by their text: an escaped known key is known, an escaped unknown one is named")
    func escapedKeys() throws {
        #expect(try APICoding.decode(Body.self, from: Array(#"{"p\u0061rty":"DE"}"#.utf8)) == Body(party: "DE"))
        do {
            _ = try APICoding.decode(Body.self, from: Array(#"{"party":"DE","n\u00f6te":"x"}"#.utf8))
            Issue.record("an unknown escaped field was taken")
        } catch let problem as Problem {
            #expect(problem.code == "malformed-request" && problem.extensions["errors"] == .array([.string("nöte: unknown field")]))
        }
    }
}
