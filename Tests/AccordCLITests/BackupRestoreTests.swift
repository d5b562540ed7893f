import AccordEventStore
import AccordTestSupport
import Foundation
import Synchronization
import Testing

/// `accord backup` of a running server that keeps writing, `accord restore` into a fresh database, and the
/// restored copy checked against the source: the same chain and the same answers up to the backup's head.
@Suite("Backup and restore", .serialized)
struct BackupRestoreTests {
    static let force = DemoServer.forceGeneration

    @Test("a backup taken while the server writes restores to the same chain and read models", arguments: Backend.allCases)
    func liveBackup(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent(backend == .sqlite ? "accord-backup.sqlite" : "accord-backup.dump").path
            let before = try await demo.head()

            // France keeps amending its pledge, one entry after another, for as long as the test lets it.
            let url = demo.server.url + "/v1/processes/\(Self.force)/steps"
            let token = demo.token
            let stop = StopFlag()
            let writer = Task {
                var written = 0
                while !stop.isSet {
                    let troops = 7_000 + written
                    let body = #"{"party":"FR","stage":"pledged","details":{"pledge":{"troops":\#(troops),"capabilities":[{"component":"land","lead":true}]}}}"#
                    let answer = try await HTTP.post(url, json: body, token: token)
                    guard answer.status == 201 else { throw WriterFailure(status: answer.status, body: String(decoding: answer.body, as: UTF8.self)) }
                    written += 1
                }
                return written
            }
            try await waitUntil { try await demo.head() >= before + 20 }
            let backup = try await Accord.run(["backup", "--database", demo.database.argument, "--to", file])
            let atBackupEnd = try await demo.head()
            // Writes go on after the backup, so the copy is a snapshot in the middle of them.
            try await waitUntil { try await demo.head() >= atBackupEnd + 20 }
            stop.set()
            let written = try await writer.value
            #expect(backup.status == 0, "\(backup)")
            #expect(backup.outputLines.first?.hasPrefix("backed up ") == true, "\(backup)")
            #expect(written >= 40)

            let restored = try await TestDatabase.fresh(backend)
            do {
                let restore = try await Accord.run(["restore", "--database", restored.argument, "--from", file])
                #expect(restore.status == 0, "\(restore)")
                #expect(restore.outputLines.first?.contains("chain intact") == true, "\(restore)")
                let verify = try await Accord.run(["verify-chain", "--database", restored.argument])
                #expect(verify.status == 0, "\(verify)")
                let head = try #require(verify.outputLines.first.flatMap { line in
                    line.split(separator: " ").dropFirst(2).first.flatMap { Int64($0) }
                }, "\(verify)")
                // The backup holds what was recorded before it ended and not what came after.
                #expect(head >= before + 20)
                #expect(head <= atBackupEnd)
                #expect(try await demo.head() > head)

                let copy = try await ServerProcess.start(database: restored.argument)
                do {
                    let asOf = "2026-01-01T00:00:00Z"
                    for path in ["/v1/processes/\(Self.force)", "/v1/processes/\(Self.force)/matrix", "/v1/processes/\(Self.force)/results",
                                 "/v1/processes/\(DemoServer.natoSilence)", "/v1/processes"] {
                        let query = "?asOf=\(asOf)&knownAt=\(head)"
                        let source = try await HTTP.get(demo.server.url + path + query)
                        let target = try await HTTP.get(copy.url + path + query)
                        #expect(source.status == 200 && target.status == 200)
                        #expect(NSDictionary(dictionary: try withoutHead(source.json())) == NSDictionary(dictionary: try withoutHead(target.json())),
                                "\(path) differs between the source (as known at \(head)) and the restored copy")
                    }
                    // The log itself, event by event with its hashes, up to the backup's head.
                    #expect(try await events(demo.server.url, upTo: head) == events(copy.url, upTo: head))
                } catch {
                    await copy.stop()
                    throw error
                }
                await copy.stop()
            } catch {
                await restored.cleanUp()
                throw error
            }
            await restored.cleanUp()
        }
    }

    @Test("restore refuses a database in use, and a backup whose chain is broken, leaving the database as it was")
    func sqliteRefusals() async throws {
        try await withDemoServer(.sqlite) { demo in
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("backup.sqlite").path
            let backup = try await Accord.run(["backup", "--database", demo.database.argument, "--to", file])
            #expect(backup.status == 0, "\(backup)")
            // A second backup to the same file is refused; --force replaces it.
            let again = try await Accord.run(["backup", "--database", demo.database.argument, "--to", file])
            #expect(again.status == 1)
            #expect(again.errorLines == ["error: '\(file)' exists already; choose another file or pass --force to replace it"])
            let forced = try await Accord.run(["backup", "--database", demo.database.argument, "--to", file, "--force", "--verify"])
            #expect(forced.status == 0, "\(forced)")
            #expect(forced.outputLines.first?.hasSuffix(", chain verified") == true)

            // The running server's database.
            let inUse = try await Accord.run(["restore", "--database", demo.database.argument, "--from", file])
            #expect(inUse.status == 1)
            #expect(inUse.errorLines.first?.contains("is in use (a server has it open)") == true, "\(inUse)")

            // A tampered copy: an actor's name rewritten behind the log's back.
            let tampered = folder.appendingPathComponent("tampered.sqlite").path
            try FileManager.default.copyItem(atPath: file, toPath: tampered)
            let store = try await EventStoreFactory.open(.sqlite(path: tampered))
            _ = try await store.database.transaction { connection in
                try connection.execute("DROP TRIGGER accord_events_no_update", [])
                return try connection.execute("UPDATE accord_events SET actor_name = 'Mallory' WHERE position = 10", [])
            }
            await store.close()
            let target = folder.appendingPathComponent("target/accord.sqlite").path
            let good = try await Accord.run(["restore", "--database", target, "--from", file])
            #expect(good.status == 0, "\(good)")
            let original = try Data(contentsOf: URL(fileURLWithPath: target))
            let refused = try await Accord.run(["restore", "--database", target, "--from", tampered])
            #expect(refused.status == 1)
            #expect(refused.errorLines.first?.contains("the hash chain is BROKEN at position 10") == true, "\(refused)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == original)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("target").path)
            #expect(leftovers == ["accord.sqlite"])
        }
    }

    @Test("restore into a PostgreSQL database that holds events is refused without --force")
    func postgresRefusal() async throws {
        try await withDemoServer(.postgres) { demo in
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("backup.dump").path
            let backup = try await Accord.run(["backup", "--database", demo.database.argument, "--to", file])
            #expect(backup.status == 0, "\(backup)")
            let head = try await demo.head()
            await demo.server.stop()
            let refused = try await Accord.run(["restore", "--database", demo.database.argument, "--from", file])
            #expect(refused.status == 1)
            #expect(refused.errorLines.first?.contains("the database already holds \(head) events") == true, "\(refused)")
            let forced = try await Accord.run(["restore", "--database", demo.database.argument, "--from", file, "--force"])
            #expect(forced.status == 0, "\(forced)")
            #expect(forced.outputLines.first?.hasPrefix("restored \(head) events") == true, "\(forced)")
        }
    }
}

/// Tells the writer task to finish after its current request.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}

struct WriterFailure: Error {
    var status: Int
    var body: String
}

func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("accord-cli-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Polls `condition` every 20 ms for up to 60 s.
func waitUntil(_ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("the condition did not hold within 60 s")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// A reply without `knownAtPosition`, which reports the serving log's head rather than the cut-off asked for.
func withoutHead(_ json: Any) throws -> [String: Any] {
    func strip(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            return object.filter { $0.key != "knownAtPosition" }.mapValues(strip)
        }
        if let array = value as? [Any] { return array.map(strip) }
        return value
    }
    return try #require(strip(json) as? [String: Any])
}

/// The log's events up to `head`, as the API shows them.
func events(_ server: String, upTo head: Int64) async throws -> [NSDictionary] {
    var out: [NSDictionary] = []
    var after: Int64 = 0
    while after < head {
        let page = try #require(try await HTTP.get(server + "/v1/events?after=\(after)&limit=1000").json() as? [String: Any])
        let events = try #require(page["events"] as? [[String: Any]])
        for event in events where ((event["position"] as? NSNumber)?.int64Value ?? 0) <= head { out.append(NSDictionary(dictionary: event)) }
        guard let last = events.last.flatMap({ ($0["position"] as? NSNumber)?.int64Value }) else { break }
        after = last
    }
    return out
}
