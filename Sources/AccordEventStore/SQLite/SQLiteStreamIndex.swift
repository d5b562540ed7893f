/// The SQLite stream index: for each stream, its version and which positions hold its versions, kept in
/// `accord_streams` (the newest, partial group of positions) and `accord_stream_chunks` (full groups of 32).
/// See `schema/sqlite/0001_event_store.sqlite.sql` for why this replaces an index on (stream, stream_version).
struct SQLiteStreamState: Sendable, Hashable {
    static let chunkSize = 32

    /// The stream's last version, -1 when it does not exist.
    var version: Int64
    /// Positions of versions `version - tail.count + 1 … version` (fewer than `chunkSize`).
    var tail: [Int64]

    static let absent = SQLiteStreamState(version: -1, tail: [])

    /// Adds the next version at `position`; returns the group of positions that just filled up, which goes to
    /// `accord_stream_chunks`.
    mutating func append(position: Int64) -> (firstVersion: Int64, positions: [Int64])? {
        version += 1
        tail.append(position)
        guard tail.count == Self.chunkSize else { return nil }
        defer { tail.removeAll(keepingCapacity: true) }
        return (version - Int64(Self.chunkSize) + 1, tail)
    }
}

enum SQLiteStreamIndex {
    static let selectState = "SELECT version, tail FROM accord_streams WHERE stream = $1"

    static let insertState = "INSERT INTO accord_streams (stream, version, tail) VALUES ($1, $2, $3)"

    /// Moves a stream on, but only from the version the writer planned from: a stream index out of step with
    /// the log fails the append instead of being overwritten.
    static let updateState = "UPDATE accord_streams SET version = $2, tail = $3 WHERE stream = $1 AND version = $4"

    static let insertChunk = "INSERT INTO accord_stream_chunks (stream, first_version, positions) VALUES ($1, $2, $3)"

    static let selectChunks = """
        SELECT first_version, positions FROM accord_stream_chunks \
        WHERE stream = $1 AND first_version >= $2 AND first_version <= $3 ORDER BY first_version
        """

    static let selectEvent = "SELECT \(EventTable.columns) FROM accord_events WHERE position = $1"

    static func state(of stream: StreamName, on connection: SQLiteConnection) throws(EventStoreError) -> SQLiteStreamState {
        let statement = try connection.prepared(selectState)
        defer { statement.reset() }
        try statement.bind(1, stream.rawValue)
        guard try statement.step() else { return .absent }
        return SQLiteStreamState(version: statement.int64(0), tail: decode(statement.bytes(1)))
    }

    /// Records `new` for `stream`, which was at version `previousVersion` (-1: new), with `chunks` filled meanwhile.
    static func write(
        _ stream: StreamName, _ new: SQLiteStreamState, previousVersion: Int64,
        chunks: [(firstVersion: Int64, positions: [Int64])], on connection: SQLiteConnection
    ) throws(EventStoreError) {
        if !chunks.isEmpty {
            let insert = try connection.prepared(insertChunk)
            for chunk in chunks {
                defer { insert.reset() }
                try insert.bind(1, stream.rawValue)
                try insert.bind(2, chunk.firstVersion)
                try insert.bind(3, bytes: encode(chunk.positions))
                _ = try insert.step()
            }
        }
        // A new stream is inserted (the primary key refuses one that exists after all).
        let statement = try connection.prepared(previousVersion < 0 ? insertState : updateState)
        defer { statement.reset() }
        try statement.bind(1, stream.rawValue)
        try statement.bind(2, new.version)
        try statement.bind(3, bytes: encode(new.tail))
        if previousVersion >= 0 { try statement.bind(4, previousVersion) }
        _ = try statement.step()
        guard connection.changes == 1 else {
            throw .database("the stream index of '\(stream)' is not at version \(previousVersion) as the log says")
        }
    }

    /// The positions of versions `fromVersion …` of `stream` (at most `limit`), in version order. Run inside a
    /// read transaction so the index and the log are read at one snapshot.
    static func positions(
        of stream: StreamName, fromVersion: Int64, limit: Int, on connection: SQLiteConnection
    ) throws(EventStoreError) -> [Int64] {
        let state = try state(of: stream, on: connection)
        let first = max(0, fromVersion)
        let last = min(state.version, first + Int64(limit) - 1)
        guard first <= last else { return [] }
        let tailStart = state.version - Int64(state.tail.count) + 1
        var positions: [Int64] = []
        positions.reserveCapacity(Int(last - first + 1))
        if first < tailStart {
            let statement = try connection.prepared(selectChunks)
            defer { statement.reset() }
            try statement.bind(1, stream.rawValue)
            try statement.bind(2, first - first % Int64(SQLiteStreamState.chunkSize))
            try statement.bind(3, min(last, tailStart - 1))
            while try statement.step() {
                let chunkStart = statement.int64(0)
                for (offset, position) in decode(statement.bytes(1)).enumerated() {
                    let version = chunkStart + Int64(offset)
                    if version >= first && version <= last { positions.append(position) }
                }
            }
        }
        if last >= tailStart {
            for version in max(first, tailStart)...last { positions.append(state.tail[Int(version - tailStart)]) }
        }
        guard positions.count == Int(last - first + 1) else {
            throw .database("the stream index of '\(stream)' is missing versions \(first)…\(last)")
        }
        return positions
    }

    static func encode(_ positions: [Int64]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(positions.count * 8)
        for position in positions { withUnsafeBytes(of: position.bigEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> [Int64] {
        stride(from: 0, to: bytes.count - bytes.count % 8, by: 8).map { start in
            bytes[start..<(start + 8)].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        }
    }
}
