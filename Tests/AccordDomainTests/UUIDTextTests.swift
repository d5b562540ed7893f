import AccordDomain
import Foundation
import Testing

/// UUIDs as text are written and read by hand (`UUIDText.swift`): the result must be Foundation's, in lower case.
@Suite("UUID text")
struct UUIDTextTests {
    static func random(_ generator: inout JSONShapeTests.Seeded) -> UUID {
        let (a, b) = (generator.next(), generator.next())
        return withUnsafeBytes(of: (a, b)) { raw in
            UUID(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                        raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
        }
    }

    @Test("written as Foundation writes it, in lower case, and read back")
    func roundTrip() {
        var generator = JSONShapeTests.Seeded(state: 7)
        for uuid in [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                     UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))]
            + (0..<2000).map({ _ in Self.random(&generator) }) {
            #expect(uuid.lowercaseText == uuid.uuidString.lowercased())
            #expect(UUID(text: uuid.lowercaseText) == uuid)
            #expect(UUID(text: uuid.uuidString) == uuid)
        }
    }

    /// The canonical form, either case: what `UUID(text:)` must read, and nothing else.
    static func isCanonical(_ text: String) -> Bool {
        text.range(of: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", options: .regularExpression) != nil
    }

    @Test("reads the canonical form in either case as Foundation does", arguments: [
        "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01", "6F1C2A4E-0B7D-4C1E-9A51-2D7F3E8A9B01", "6f1C2a4E-0b7D-4c1E-9a51-2D7f3e8A9b01",
    ])
    func canonical(text: String) throws {
        let uuid = try #require(UUID(text: text))
        #expect(uuid == UUID(uuidString: text))
    }

    /// Foundation parses with `sscanf("%2hhx…")` on Linux, which lets a space or a sign stand in a byte and a stray
    /// last character pass (" d7f3…" reads as another UUID): those are refused here.
    @Test("refuses everything else, including what Foundation's sscanf lets through", arguments: [
        "", "6f1c2a4e0b7d4c1e9a512d7f3e8a9b01", "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b0", "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b011",
        "6f1c2a4e-0b7d-4c1e-9a51_2d7f3e8a9b01", "6f1c2a4e-0b7d-4c1e-9a5-12d7f3e8a9b01", "6f1c2a4g-0b7d-4c1e-9a51-2d7f3e8a9b01",
        " 6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b0", "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b0 ", "+f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01",
        "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b0x", "6f1c2a4e-0b7d-4c1e-9a51- d7f3e8a9b01", "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9bé",
        "{6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b}", "6f1c2a4e--b7d-4c1e-9a51-2d7f3e8a9b01",
    ])
    func refused(text: String) {
        #expect(UUID(text: text) == nil)
    }

    @Test("a one-character change is read only if still canonical, then as Foundation reads it")
    func mutations() {
        var generator = JSONShapeTests.Seeded(state: 11)
        let alphabet = Array("0123456789abcdefABCDEFg- +x{é".unicodeScalars)
        for _ in 0..<500 {
            var text = Array(Self.random(&generator).lowercaseText.unicodeScalars)
            text[Int.random(in: 0..<text.count, using: &generator)] = alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
            let mutated = String(String.UnicodeScalarView(text))
            if Self.isCanonical(mutated) {
                #expect(UUID(text: mutated) == UUID(uuidString: mutated), "\(mutated)")
                #expect(UUID(text: mutated) != nil, "\(mutated)")
            } else {
                #expect(UUID(text: mutated) == nil, "\(mutated)")
            }
        }
    }

    @Test("identifiers order as their texts do")
    func order() {
        var generator = JSONShapeTests.Seeded(state: 3)
        let ids = (0..<500).map { _ in ProcessID(Self.random(&generator)) }
        #expect(ids.sorted() == ids.sorted { $0.description < $1.description })
        let same = ProcessID(Self.random(&generator))
        #expect(!(same < same))
    }
}
