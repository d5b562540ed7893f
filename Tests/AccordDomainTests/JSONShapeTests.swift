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

    /// SplitMix64: a seeded generator, so a failing case can be found again.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Random JSON text: nested values, escapes, numbers in every form, and whitespace anywhere it may go.
    static func document(_ random: inout Seeded, depth: Int = 0) -> String {
        func space() -> String { ["", " ", "\n", "\t ", "\r\n"][Int.random(in: 0..<5, using: &random)] }
        func string() -> String {
            let pieces = ["a", "é", "😀", "\\\"", "\\\\", "\\/", "\\n", "\\u00e9", "\\ud83d\\ude00", "x y", "/", "0", "key"]
            return "\"" + (0..<Int.random(in: 0..<4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() + "\""
        }
        let kind = depth > 4 ? Int.random(in: 2..<7, using: &random) : Int.random(in: 0..<7, using: &random)
        switch kind {
        case 0:
            let members = (0..<Int.random(in: 0..<5, using: &random)).map { _ in space() + string() + space() + ":" + document(&random, depth: depth + 1) }
            return space() + "{" + members.joined(separator: ",") + space() + "}" + space()
        case 1:
            let items = (0..<Int.random(in: 0..<5, using: &random)).map { _ in document(&random, depth: depth + 1) }
            return space() + "[" + items.joined(separator: ",") + space() + "]" + space()
        case 2: return space() + string() + space()
        case 3: return space() + ["0", "-0", "12", "-3.25", "1e5", "2E-3", "6.02e+23", "9223372036854775807"].randomElement(using: &random)! + space()
        case 4: return space() + ["true", "false"].randomElement(using: &random)! + space()
        case 5: return space() + "null" + space()
        default: return space() + "{}" + space()
        }
    }

    static func foundationShape(_ tree: Any) -> JSONShape {
        if let object = tree as? [String: Any] { return .object(object.mapValues(foundationShape)) }
        if let array = tree as? [Any] { return .array(array.map(foundationShape)) }
        return tree is NSNull ? .null : .leaf
    }

    @Test("on random documents, and the same with a character dropped or doubled: whatever the scanner takes, Foundation takes, with the same shape")
    func randomDocuments() {
        var random = Seeded(state: 2026_11_25)
        var accepted = 0
        for _ in 0..<3_000 {
            var text = Array(Self.document(&random).utf8)
            if Bool.random(using: &random), !text.isEmpty {
                let at = Int.random(in: 0..<text.count, using: &random)
                if Bool.random(using: &random) { text.remove(at: at) } else { text.insert(text[at], at: at) }
            }
            guard let ours = JSONShape(parsing: text) else { continue }
            accepted += 1
            let tree = try? JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed])
            #expect(tree != nil, "\(text)")
            if let tree, !(tree is NSNull && ours != .null) {
                #expect(Self.foundationShape(tree) == ours, "\(String(decoding: text, as: UTF8.self))")
            }
        }
        #expect(accepted > 1_500)
    }
}
