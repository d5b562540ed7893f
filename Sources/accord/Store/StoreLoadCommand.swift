import AccordEventStore
import AccordTime
import ArgumentParser
import Foundation

/// Appends large atomic batches as fast as it can; the crash tests kill it with SIGKILL in the middle of one.
///
/// Each batch is one append over `--streams` streams with `--events-per-stream` events each, every stream with
/// its exact expected version. It prints `begin N` before and `committed N` after batch N (flushed), so a test
/// can tell how many batches committed.
struct StoreLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-load",
        abstract: "Append large batches to the event store (used by the crash tests).",
        shouldDisplay: false)

    @OptionGroup var database: DatabaseOption

    @Option(help: "How many batches to append.")
    var batches = 100

    @Option(help: "Streams written by every batch.")
    var streams = 10

    @Option(help: "Events per stream in every batch.")
    var eventsPerStream = 500

    @Option(help: "Stream names are PREFIX-0, PREFIX-1, ….")
    var streamPrefix = "load"

    func validate() throws {
        guard batches > 0, streams > 0, eventsPerStream > 0 else {
            throw ValidationError("--batches, --streams and --events-per-stream must be positive")
        }
    }

    func run() async throws {
        let perBatch = streams * eventsPerStream
        let store = try await EventStoreFactory.open(
            try database.location(),
            options: EventStoreOptions(limits: EventStoreLimits(maximumEventsPerAppend: max(10_000, perBatch))))
        let names = try (0..<streams).map { try StreamName("\(streamPrefix)-\($0)") }
        var versions: [Int64?] = []
        for name in names { versions.append(try await store.streamVersion(name)) }
        let padding = String(repeating: "x", count: 160)
        let clock = SystemWallClock()

        for batch in 1...batches {
            var appends: [StreamAppend] = []
            for (index, name) in names.enumerated() {
                let events = try (0..<eventsPerStream).map { n in
                    ProposedEvent(
                        type: "LoadRecorded",
                        payload: try JSONPayload(canonicalizing: #"{"batch":\#(batch),"n":\#(n),"pad":"\#(padding)"}"#),
                        actor: .system, occurredAt: clock.now())
                }
                appends.append(StreamAppend(
                    stream: name, expectedVersion: versions[index].map(ExpectedVersion.exactly) ?? .noStream,
                    events: events))
            }
            emit("begin \(batch)")
            let result = try await store.append(appends)
            for (index, name) in names.enumerated() { versions[index] = result.version(of: name) }
            emit("committed \(batch) head \(result.lastPosition)")
        }
        await store.close()
    }

    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
