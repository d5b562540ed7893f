import AccordAudit
import AccordDomain
import AccordEventStore
import AccordService
import AccordTestSupport
import Foundation
import Testing

/// A started service with the demo loaded on a fresh database of `backend`, and its audit side with a signing
/// key in a fresh temporary folder.
func withAudit(_ backend: Backend, demo: Bool = true, _ body: (AuditService) async throws -> Void) async throws {
    try await withTestStore(backend) { store, _ in
        let service = AccordService(store: store, clock: SystemWallClock())
        try await service.start()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("accord-keys-\(UUID().uuidString.lowercased())")
        let audit = AuditService(service: service, keyFolder: SigningKeyFolder(path: folder.appendingPathComponent("keys").path))
        do {
            try await audit.start()
            if demo { try await service.loadDemo() }
            try await service.eventIndex.catchUp()
            try await body(audit)
        } catch {
            await service.log.stop()
            await service.eventIndex.stop()
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        await service.log.stop()
        await service.eventIndex.stop()
        try? FileManager.default.removeItem(at: folder)
    }
}

extension AuditService {
    /// A whole export in memory (tests only: real exports stream).
    func export(_ selection: ExportSelection = ExportSelection()) async throws -> [UInt8] {
        var all: [UInt8] = []
        try await exportJSONLines(selection) { buffer in all += buffer }
        return all
    }

    func keyRing() async throws -> KeyRing { KeyRing(try await trustedKeys()) }
}

/// The lines of an export, without their newlines.
func lines(_ bytes: [UInt8]) -> [[UInt8]] {
    bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init).filter { !$0.isEmpty }
}

func joined(_ lines: [[UInt8]]) -> [UInt8] {
    lines.flatMap { $0 + [0x0A] }
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// The JSON object of one line.
func object(_ line: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
}

/// The line (1-based, the header is line 1) holding the event at `position` of a whole-log export.
func lineNumber(ofPosition position: Int64) -> Int { Int(position) + 1 }

/// The position of the first event whose line contains `needle`.
func position(of needle: String, in export: [UInt8]) throws -> Int64 {
    let line = try #require(lines(export).first { text($0).contains(needle) && text($0).contains("\"kind\":\"event\"") })
    return try #require(try object(line)["position"] as? Int64)
}

func expectBroken(_ outcome: VerificationOutcome, line: Int, kind: BreakKind, sourceLocation: SourceLocation = #_sourceLocation) {
    guard case .broken(let broken) = outcome else {
        Issue.record("expected a break of kind \(kind) at line \(line), but the export verified", sourceLocation: sourceLocation)
        return
    }
    #expect(broken.kind == kind, "\(broken)", sourceLocation: sourceLocation)
    #expect(broken.line == line, "\(broken)", sourceLocation: sourceLocation)
}

func verified(_ outcome: VerificationOutcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> VerifiedExport {
    guard case .verified(let summary) = outcome else {
        Issue.record("expected the export to verify: \(outcome)", sourceLocation: sourceLocation)
        throw CancellationError()
    }
    return summary
}

/// Runs SQL on the raw events table with its append-only triggers out of the way, as someone tampering with the
/// database would.
func tamper(_ audit: AuditService, _ sql: (SQLDialect) -> String) async throws {
    let database = audit.service.store.database
    let dialect = database.dialect
    let statement = sql(dialect)
    try await database.transaction { conn in
        switch dialect {
        case .sqlite:
            try conn.execute("DROP TRIGGER accord_events_no_update")
            try conn.execute(statement)
        case .postgres:
            try conn.execute("ALTER TABLE accord_events DISABLE TRIGGER USER")
            try conn.execute(statement)
            try conn.execute("ALTER TABLE accord_events ENABLE TRIGGER USER")
        }
    }
}
