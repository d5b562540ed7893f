import AccordDomain
import Foundation
import Testing

@Suite("JSON shape")
struct JSONShapeTests {
    static let documents: [String] = [
        #"{}"#, #"[]"#, #" { "a" : 1 , "b" : [ true , false , null ] } "#, #"{"a":{"b":{"c":"d"}}}"#,
        #"{"n":-0.5e+10,"m":0,"k":-12,"j":1E5,"i":3.25}"#, #"{"s":"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00"}"#,
        #"{"a":1,}"#, #"{"a" 1}"#, #"{a:1}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":-}"#, #"{"a":+1}"#,
        #"{"a":"\x"}"#, #"{"a":"\u12"}"#, "{\"a\":\"raw\u{01}control\"}", #"{"a":tru}"#, #"{"a":nul}"#, #"[1,2"#,
        #"{"a":1}}"#, #"{"a":1} x"#, #""#, #"   "#, #"{"a":[1,,2]}"#, #"{"a":"é 中文 😀"}"#, #"{"":""}"#,
        #"[{"a":[{"b":[]}]}]"#, #"{"a":1e}"#, #"{"a":"unterminated}"#,
    ]

    @Test("accepts the documents Foundation's parser accepts, except a trailing comma (not JSON; Foundation takes it)")
    func agreesWithFoundation() {
        for text in Self.documents {
            let ours = JSONShape(parsing: Array(text.utf8)) != nil
            let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil
            #expect(ours == (foundation && text != #"{"a":1,}"#), "\(text)")
        }
    }

    @Test("object keys are read with their escapes resolved; values keep only their kind")
    func keys() throws {
        let shape = try #require(JSONShape(parsing: Array(#"{"a\u0062":1,"\ud83d\ude00":[null,{"x":"y"}],"n":null}"#.utf8)))
        #expect(shape == .object(["ab": .leaf, "😀": .array([.null, .object(["x": .leaf])]), "n": .null]))
    }

    @Test("nesting deeper than the limit is refused, not followed")
    func depth() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(JSONShape(parsing: Array(deep.utf8)) == nil)
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(JSONShape(parsing: Array(fine.utf8)) != nil)
    }

    @Test("unknown keys are named by path; null values and what the decoded value writes back are not")
    func unknownKeys() throws {
        let given = try #require(JSONShape(parsing: Array(#"{"party":"DE","extra":1,"gone":null,"details":{"pledge":{"troopz":5}},"steps":[{"stage":"x","oops":true}]}"#.utf8)))
        let known = JSONShape.object(["party": .leaf, "details": .object(["pledge": .object(["troops": .leaf])]), "steps": .array([.object(["stage": .leaf])])])
        #expect(given.unknownKeys(comparedWith: known) == ["details.pledge.troopz", "extra", "steps[0].oops"])
    }
}
