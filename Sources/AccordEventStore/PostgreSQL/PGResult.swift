import CLibPQ
import Foundation

/// Type OIDs of the built-in types Accord sends and reads (`pg_type.oid`, fixed since PostgreSQL 8).
enum PGType {
    static let unspecified: Oid = 0
    static let bool: Oid = 16
    static let bytea: Oid = 17
    static let int8: Oid = 20
    static let int2: Oid = 21
    static let int4: Oid = 23
    static let text: Oid = 25
    static let oid: Oid = 26
    static let json: Oid = 114
    static let jsonArray: Oid = 199
    static let byteaArray: Oid = 1001
    static let int4Array: Oid = 1007
    static let textArray: Oid = 1009
    static let int8Array: Oid = 1016
    static let uuid: Oid = 2950
    static let uuidArray: Oid = 2951
}

/// A query result; owns the libpq `PGresult` and frees it. Binary accessors read PostgreSQL's binary wire
/// format (big-endian integers, raw bytes), used for the event store's own statements.
final class PGResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    var rowCount: Int32 { PQntuples(handle) }
    var columnCount: Int32 { PQnfields(handle) }

    /// Rows changed by an INSERT/UPDATE/DELETE (0 for other commands).
    var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    func isNull(_ row: Int32, _ column: Int32) -> Bool { PQgetisnull(handle, row, column) == 1 }

    func length(_ row: Int32, _ column: Int32) -> Int { Int(PQgetlength(handle, row, column)) }

    func raw(_ row: Int32, _ column: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: PQgetvalue(handle, row, column), count: length(row, column))
    }

    // MARK: Binary format

    func int64(_ row: Int32, _ column: Int32) throws(EventStoreError) -> Int64 {
        let value = raw(row, column)
        guard value.count == 8 else { throw .database("column \(column) is not a binary int8") }
        return Int64(bigEndian: value.loadUnaligned(as: Int64.self))
    }

    func int32(_ row: Int32, _ column: Int32) throws(EventStoreError) -> Int32 {
        let value = raw(row, column)
        guard value.count == 4 else { throw .database("column \(column) is not a binary int4") }
        return Int32(bigEndian: value.loadUnaligned(as: Int32.self))
    }

    func bool(_ row: Int32, _ column: Int32) -> Bool {
        let value = raw(row, column)
        return value.count == 1 && value[0] != 0
    }

    func string(_ row: Int32, _ column: Int32) -> String {
        String(decoding: raw(row, column), as: UTF8.self)
    }

    func bytes(_ row: Int32, _ column: Int32) -> [UInt8] { Array(raw(row, column)) }

    func string(_ row: Int32, _ column: Int32, reusing strings: inout RecentStrings) -> String {
        strings.string(raw(row, column))
    }

    func uuid(_ row: Int32, _ column: Int32) -> UUID? {
        guard !isNull(row, column) else { return nil }
        let value = raw(row, column)
        guard value.count == 16 else { return nil }
        return UUID(uuid: value.loadUnaligned(as: uuid_t.self))
    }

    func hash(_ row: Int32, _ column: Int32) throws(EventStoreError) -> SHA256Hash {
        let value = raw(row, column)
        guard value.count == 32 else { throw .database("column \(column) does not hold a 32-byte SHA-256 hash") }
        return SHA256Hash(digest: value)
    }

    // MARK: Text format (the generic `SQLConnection` API)

    /// Row `row` as exact values: integer and boolean columns become `.integer`, bytea `.blob`, all else `.text`.
    func textRow(_ row: Int32) -> SQLRow {
        var values: [SQLValue] = []
        values.reserveCapacity(Int(columnCount))
        for column in 0..<columnCount {
            if isNull(row, column) {
                values.append(.null)
                continue
            }
            let text = string(row, column)
            switch PQftype(handle, column) {
            case PGType.int2, PGType.int4, PGType.int8, PGType.oid:
                values.append(Int64(text).map(SQLValue.integer) ?? .text(text))
            case PGType.bool:
                values.append(.integer(text == "t" ? 1 : 0))
            case PGType.bytea:
                values.append(Self.decodeHexBytea(text).map(SQLValue.blob) ?? .text(text))
            default:
                values.append(.text(text))
            }
        }
        return SQLRow(values: values)
    }

    /// bytea's text output (`\x` followed by hex digits, the default since PostgreSQL 9.0).
    static func decodeHexBytea(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            return nil
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = hexValue(utf8[index]), let low = hexValue(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - 55
        default: nil
        }
    }
}
