import AccordEventStore
import Testing

@Suite("Reading payload members")
struct JSONPayloadReaderTests {
    let payload: JSONPayload

    init() throws {
        payload = try JSONPayload(canonicalizing: #"""
            {"nested":{"nation":"XX","list":[1,"]",{"a":"}"}]},"nation":"DE","seq":61,"big":12345678901234567890,
             "note":"say \"hi\"\n\u00e9 \ud83c\uddea\ud83c\uddfa","flag":true,"nothing":null,"quote\"key":"q"}
            """#)
    }

    @Test("finds top-level members, skipping nested values that contain the same key or brackets in strings")
    func topLevelMembers() {
        #expect(payload.string(forKey: "nation") == "DE")
        #expect(payload.integer(forKey: "seq") == 61)
        #expect(payload.integer(forKey: "big") == nil)
        #expect(payload.rawValue(forKey: "big").map { String(decoding: $0, as: UTF8.self) } == "12345678901234567890")
        #expect(payload.rawValue(forKey: "flag").map { String(decoding: $0, as: UTF8.self) } == "true")
        #expect(payload.string(forKey: "nothing") == nil)
        #expect(payload.string(forKey: "missing") == nil)
        #expect(payload.rawValue(forKey: "nested").map { String(decoding: $0, as: UTF8.self) } == #"{"list":[1,"]",{"a":"}"}],"nation":"XX"}"#)
        #expect(payload.string(forKey: "quote\"key") == "q")
    }

    @Test("resolves escapes in string values")
    func escapes() {
        #expect(payload.string(forKey: "note") == "say \"hi\"\né 🇪🇺")
        #expect(JSONPayload(trustedCanonicalBytes: Array(#"{"a":"\u0041\ud83d\ude00\/"}"#.utf8)).string(forKey: "a") == "A😀/")
        #expect(JSONPayload(trustedCanonicalBytes: Array(#"{"a":"\ud800"}"#.utf8)).string(forKey: "a") == nil)
    }
}
