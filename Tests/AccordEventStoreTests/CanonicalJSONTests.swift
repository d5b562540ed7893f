import AccordEventStore
import Testing

@Suite("Canonical JSON payloads")
struct CanonicalJSONTests {
    @Test("sorts keys, drops whitespace and keeps numbers exactly as written")
    func canonicalForm() throws {
        let payload = try JSONPayload(canonicalizing: #"{ "b": [1, 2.50, -0, 1e3], "a": {"z": null, "y": true} }"#)
        #expect(payload.string == #"{"a":{"y":true,"z":null},"b":[1,2.50,-0,1e3]}"#)
    }

    @Test("canonicalising canonical bytes changes nothing")
    func idempotent() throws {
        let once = try JSONPayload(canonicalizing: #"{"note":"Bundestag \u00fc \"vote\"\n","n":"\ud83c\uddea\ud83c\uddfa"}"#)
        let twice = try JSONPayload(canonicalizing: once.bytes)
        #expect(once == twice)
        #expect(once.string == "{\"n\":\"🇪🇺\",\"note\":\"Bundestag ü \\\"vote\\\"\\n\"}")
    }

    @Test("refuses what is not a JSON object", arguments: ["[]", "1", "\"x\"", "null", "", "   ", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1} x"])
    func refusesNonObjects(_ text: String) {
        #expect(throws: EventStoreError.self) { try JSONPayload(canonicalizing: text) }
    }

    @Test("refuses duplicate keys, unpaired surrogates and invalid UTF-8")
    func refusesAmbiguousText() {
        #expect(throws: EventStoreError.self) { try JSONPayload(canonicalizing: #"{"a":1,"a":2}"#) }
        #expect(throws: EventStoreError.self) { try JSONPayload(canonicalizing: #"{"a":"\ud800"}"#) }
        #expect(throws: EventStoreError.self) { try JSONPayload(canonicalizing: [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D]) }
    }

    @Test("refuses payloads over the size limit")
    func sizeLimit() {
        let big = "{\"note\":\"" + String(repeating: "x", count: 100) + "\"}"
        #expect(throws: EventStoreError.payloadTooLarge(bytes: big.utf8.count, limit: 64)) {
            try JSONPayload(canonicalizing: big, maximumBytes: 64)
        }
    }

    @Test("refuses nesting deeper than 64 levels")
    func depthLimit() {
        let deep = String(repeating: "{\"a\":", count: 70) + "1" + String(repeating: "}", count: 70)
        #expect(throws: EventStoreError.self) { try JSONPayload(canonicalizing: deep) }
    }
}
