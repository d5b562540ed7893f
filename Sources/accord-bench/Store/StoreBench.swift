import AccordEventStore
import ArgumentParser
import Foundation

/// `accord-bench store`: workload W against the event store, the same measurements the peer harness takes of
/// other systems (`/work/shared/bench/peers`), printing one JSON line per measurement.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Workload W against the event store on SQLite and PostgreSQL.",
        discussion: """
            Modes: a = 1 event per transaction; b = 100 events per transaction across 100 streams; c = read the \
            whole log in order in pages; d = rebuild a count-by-(nation, type) projection decoding every payload; \
            e = concurrent writers appending single events to different streams (group commit). Every measurement \
            starts from a fresh database; c and d read the log written by a.
            """)

    @Option(help: "Backends to measure, comma-separated: sqlite, postgres.")
    var backends = "sqlite,postgres"

    @Option(help: "Modes to run, e.g. abcde or ac.")
    var modes = "abcde"

    @Option(help: "Events in the workload.")
    var events = 100_000

    @Option(help: "PostgreSQL maintenance database on the server to measure; the benchmark creates and drops the database accord_bench there. Default: the peer benchmark's server and role.")
    var postgresURL = "postgres://peers_bench:peers_bench@127.0.0.1:5432/postgres"

    @Option(help: "Folder for the SQLite files.")
    var sqliteDir = "/tmp/accord-bench"

    @Option(help: "SQLite synchronous mode: full (durable, the default) or normal.")
    var sqliteSynchronous = "full"

    @Option(help: "SQLite: WAL length in pages at which the writer checkpoints.")
    var sqliteCheckpointPages: Int32 = SQLiteOptions().checkpointPages

    @Option(help: "Event ids: v7 (time-ordered, Accord's default) or random (version 4, as external clients may send).")
    var ids = "v7"

    @Option(help: "Concurrent writers in mode e.")
    var writers = 64

    @Option(help: "Events per transaction in mode b.")
    var batchSize = 100

    @Option(help: "Page size of the reads in modes c and d.")
    var pageSize = 1_000

    @Option(help: "Measure modes c and d this many times each (one line per measurement).")
    var readRepeats = 1

    func validate() throws {
        guard events > 0, writers > 0, batchSize > 0, pageSize > 0 else {
            throw ValidationError("--events, --writers, --batch-size and --page-size must be positive")
        }
        guard WorkloadW.IDKind(rawValue: ids) != nil else { throw ValidationError("--ids is v7 or random") }
        guard SQLiteSynchronous(rawValue: sqliteSynchronous) != nil else {
            throw ValidationError("--sqlite-synchronous is full or normal")
        }
        for backend in backends.split(separator: ",") where backend != "sqlite" && backend != "postgres" {
            throw ValidationError("unknown backend '\(backend)'")
        }
    }

    func run() async throws {
        progress("generating workload W: \(events) events")
        let workload = try WorkloadW(eventCount: events, ids: WorkloadW.IDKind(rawValue: ids) ?? .v7)
        for backend in backends.split(separator: ",").map(String.init) {
            let target = try BenchTarget(
                backend: backend, postgresURL: postgresURL, sqliteDir: sqliteDir,
                sqlite: SQLiteOptions(
                    synchronous: SQLiteSynchronous(rawValue: sqliteSynchronous) ?? .full,
                    checkpointPages: sqliteCheckpointPages),
                ids: ids)
            try await run(workload, on: target)
        }
    }

    private func run(_ workload: WorkloadW, on target: BenchTarget) async throws {
        let n = workload.events.count
        if modes.contains("a") || modes.contains("c") || modes.contains("d") {
            let store = try await target.fresh()
            if modes.contains("a") {
                progress("[\(target.name)] a: \(n) appends, one event each")
                try await Measurement.time {
                    for event in workload.events { try await store.append([event.append]) }
                }.report(backend: target.name, mode: "a", events: n, extra: target.labels)
            } else {
                try await appendBatched(workload, to: store)
            }
            try await checkComplete(store, workload)
            if modes.contains("c") {
                _ = try await readAll(store)
                progress("[\(target.name)] c: read the log in pages of \(pageSize)")
                for _ in 0..<max(1, readRepeats) {
                    var count = 0
                    let measurement = try await Measurement.time { count = try await readAll(store) }
                    guard count == n else { throw BenchError("c read \(count) events, not \(n)") }
                    measurement.report(backend: target.name, mode: "c", events: n, extra: target.labels)
                }
            }
            if modes.contains("d") {
                progress("[\(target.name)] d: projection rebuild")
                for _ in 0..<max(1, readRepeats) {
                    var counts: [WorkloadW.ProjectionKey: Int] = [:]
                    let measurement = try await Measurement.time { counts = try await project(store) }
                    guard counts == workload.expectedProjection, counts.count == 300 || n < 100_000 else {
                        throw BenchError("d: the projection does not match the expected \(workload.expectedProjection.count) cells")
                    }
                    measurement.report(backend: target.name, mode: "d", events: n, extra: target.labels)
                }
            }
            await store.close()
        }
        if modes.contains("b") {
            let store = try await target.fresh()
            progress("[\(target.name)] b: \(batchSize) events per append across \(batchSize) streams")
            try await Measurement.time { try await appendBatched(workload, to: store) }
                .report(backend: target.name, mode: "b", events: n, extra: target.labels)
            try await checkComplete(store, workload)
            await store.close()
        }
        if modes.contains("e") {
            let store = try await target.fresh()
            progress("[\(target.name)] e: \(writers) concurrent writers, one event per append")
            try await Measurement.time { try await appendConcurrently(workload, to: store) }
                .report(backend: target.name, mode: "e", events: n, extra: target.labels.merging(["writers": String(writers)]) { a, _ in a })
            try await checkComplete(store, workload)
            await store.close()
        }
        await target.dropDatabase()
    }

    private func appendBatched(_ workload: WorkloadW, to store: any EventStore) async throws {
        var start = 0
        while start < workload.events.count {
            let end = min(start + batchSize, workload.events.count)
            try await store.append(workload.events[start..<end].map(\.append))
            start = end
        }
    }

    /// Writer w appends, in W's order, the events of the streams s with s % writers == w.
    private func appendConcurrently(_ workload: WorkloadW, to store: any EventStore) async throws {
        let writerCount = writers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writerCount {
                let mine = workload.events.filter { $0.streamIndex % writerCount == writer }.map(\.append)
                group.addTask {
                    for append in mine { try await store.append([append]) }
                }
            }
            try await group.waitForAll()
        }
    }

    private func readAll(_ store: any EventStore) async throws -> Int {
        var count = 0
        var position: Int64 = 0
        while true {
            let page = try await store.readAll(after: position, limit: pageSize)
            count += page.count
            guard page.count == pageSize, let last = page.last else { return count }
            position = last.position
        }
    }

    /// Mode d: every payload decoded for its nation, folded into count-by-(nation, type).
    private func project(_ store: any EventStore) async throws -> [WorkloadW.ProjectionKey: Int] {
        var counts: [WorkloadW.ProjectionKey: Int] = [:]
        var position: Int64 = 0
        while true {
            let page = try await store.readAll(after: position, limit: pageSize)
            for event in page {
                guard let nation = event.payload.string(forKey: "nation") else {
                    throw BenchError("event \(event.position) has no nation")
                }
                counts[WorkloadW.ProjectionKey(nation: nation, type: event.type), default: 0] += 1
            }
            guard page.count == pageSize, let last = page.last else { return counts }
            position = last.position
        }
    }

    /// Every event is in the log, and a stale expected version is still refused (as the peer harness checks).
    private func checkComplete(_ store: any EventStore, _ workload: WorkloadW) async throws {
        let head = try await store.headPosition()
        guard head == Int64(workload.events.count) else { throw BenchError("the log holds \(head) events") }
        let first = workload.events[0]
        var stale = first.proposed
        stale.id = UUID()
        do {
            try await store.append(to: first.stream, expectedVersion: .noStream, events: [stale])
            throw BenchError("a stale expected version was accepted")
        } catch EventStoreError.wrongExpectedVersion {}
    }
}

/// One backend to measure, able to produce a fresh store for each measurement.
struct BenchTarget {
    let name: String
    let labels: [String: String]
    private let make: () async throws -> any EventStore
    private let drop: () async -> Void

    init(backend: String, postgresURL: String, sqliteDir: String, sqlite: SQLiteOptions, ids: String) throws {
        name = backend
        switch backend {
        case "sqlite":
            labels = ["synchronous": sqlite.synchronous.rawValue, "ids": ids]
            let path = URL(fileURLWithPath: sqliteDir).appendingPathComponent("accord-bench.sqlite").path
            let remove = {
                for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            make = {
                remove()
                return try await SQLiteEventStore.open(path: path, options: sqlite)
            }
            drop = { remove() }
        default:
            labels = ["ids": ids]
            make = {
                let conninfo = try await PostgresAdmin.recreateDatabase(named: "accord_bench", using: postgresURL)
                try await PostgresAdmin.query("CHECKPOINT", using: postgresURL)
                return try await PostgresEventStore.open(conninfo: conninfo)
            }
            drop = { try? await PostgresAdmin.dropDatabase(named: "accord_bench", using: postgresURL) }
        }
    }

    func fresh() async throws -> any EventStore { try await make() }

    func dropDatabase() async { await drop() }
}

func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
