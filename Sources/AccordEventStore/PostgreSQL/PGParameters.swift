import CLibPQ
import Foundation

/// Parameters for one libpq call, packed into one buffer. The event store's statements send binary values
/// (no text escaping, no parsing on the server); the generic `SQLConnection` API sends text and lets the server
/// infer types.
struct PGParameters {
    private(set) var types: [Oid] = []
    private var data: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []

    init(capacity: Int = 256) { data.reserveCapacity(capacity) }

    var count: Int { types.count }

    // MARK: Scalars

    mutating func int64(_ value: Int64) {
        begin(type: PGType.int8, binary: true)
        appendInt64(value)
        end()
    }

    /// Binary text is the UTF-8 bytes themselves.
    mutating func text(_ value: String) {
        begin(type: PGType.text, binary: true)
        data.append(contentsOf: value.utf8)
        end()
    }

    mutating func bytea(_ value: [UInt8]) {
        begin(type: PGType.bytea, binary: true)
        data.append(contentsOf: value)
        end()
    }

    mutating func null(type: Oid) {
        types.append(type)
        starts.append(data.count)
        lengths.append(-1)
        formats.append(1)
    }

    /// A value in text format whose type the server infers from the statement.
    mutating func generic(_ value: SQLValue) {
        switch value {
        case .null:
            null(type: PGType.unspecified)
        case .integer(let v):
            begin(type: PGType.unspecified, binary: false)
            data.append(contentsOf: String(v).utf8)
            end()
        case .text(let s):
            begin(type: PGType.unspecified, binary: false)
            data.append(contentsOf: s.utf8)
            end()
        case .blob(let b):
            // Binary bytea is the raw bytes; declared so the server does not read them as text.
            bytea(b)
        }
    }

    // MARK: One-dimensional arrays (binary format)

    /// An array parameter: `ndim, has-null flag, element type, length, lower bound`, then every element as
    /// `int32 length` (-1 for NULL) and its bytes. `body` appends the elements through the writer.
    mutating func array(of elementType: Oid, arrayType: Oid, count: Int, _ body: (inout ArrayElements) -> Void) {
        begin(type: arrayType, binary: true)
        let header = data.count
        appendInt32(count == 0 ? 0 : 1)
        appendInt32(0)
        appendInt32(Int32(bitPattern: elementType))
        if count > 0 {
            appendInt32(Int32(count))
            appendInt32(1)
        }
        var elements = ArrayElements(data: data)
        data = []
        body(&elements)
        data = elements.data
        if elements.hasNull { data[header + 7] = 1 }
        end()
    }

    mutating func textArray<C: Collection>(_ items: C, _ element: (C.Element) -> String) {
        array(of: PGType.text, arrayType: PGType.textArray, count: items.count) { a in
            for item in items { a.text(element(item)) }
        }
    }

    mutating func int64Array<C: Collection>(_ items: C, _ element: (C.Element) -> Int64) {
        array(of: PGType.int8, arrayType: PGType.int8Array, count: items.count) { a in
            for item in items { a.int64(element(item)) }
        }
    }

    mutating func uuidArray<C: Collection>(_ items: C, _ element: (C.Element) -> UUID?) {
        array(of: PGType.uuid, arrayType: PGType.uuidArray, count: items.count) { a in
            for item in items { a.uuid(element(item)) }
        }
    }

    mutating func hashArray<C: Collection>(_ items: C, _ element: (C.Element) -> SHA256Hash) {
        array(of: PGType.bytea, arrayType: PGType.byteaArray, count: items.count) { a in
            for item in items { element(item).withUnsafeBytes { a.bytes($0) } }
        }
    }

    struct ArrayElements {
        fileprivate var data: [UInt8]
        fileprivate var hasNull = false

        mutating func null() {
            hasNull = true
            data.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
        }

        mutating func int64(_ value: Int64) {
            length(8)
            withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) }
        }

        mutating func int32(_ value: Int32) {
            length(4)
            withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) }
        }

        mutating func text(_ value: String) {
            length(value.utf8.count)
            data.append(contentsOf: value.utf8)
        }

        mutating func bytes(_ value: some Collection<UInt8>) {
            length(value.count)
            data.append(contentsOf: value)
        }

        mutating func uuid(_ value: UUID?) {
            guard let value else { return null() }
            length(16)
            withUnsafeBytes(of: value.uuid) { data.append(contentsOf: $0) }
        }

        private mutating func length(_ count: Int) {
            withUnsafeBytes(of: Int32(count).bigEndian) { data.append(contentsOf: $0) }
        }
    }

    // MARK: Passing to libpq

    /// Calls `body` with the C arrays libpq takes: values, lengths and formats (all valid only during `body`).
    func withUnsafeArguments<R>(
        _ body: (
            _ count: Int32, _ values: UnsafePointer<UnsafePointer<CChar>?>?, _ lengths: UnsafePointer<Int32>?,
            _ formats: UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        data.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress)
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(starts.count)
            for (start, length) in zip(starts, lengths) {
                if length < 0 {
                    pointers.append(nil)
                } else {
                    // A zero-length value still needs a non-NULL pointer, or libpq sends NULL.
                    let pointer = base.map { $0 + start } ?? UnsafeRawPointer(Self.empty.utf8Start)
                    pointers.append(pointer.assumingMemoryBound(to: CChar.self))
                }
            }
            return pointers.withUnsafeBufferPointer { values in
                lengths.withUnsafeBufferPointer { lengths in
                    formats.withUnsafeBufferPointer { formats in
                        body(Int32(values.count), values.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }

    private static let empty: StaticString = ""

    private mutating func begin(type: Oid, binary: Bool) {
        types.append(type)
        starts.append(data.count)
        formats.append(binary ? 1 : 0)
    }

    private mutating func end() {
        lengths.append(Int32(data.count - starts[starts.count - 1]))
        // libpq reads text-format values as NUL-terminated strings and ignores their lengths.
        if formats[formats.count - 1] == 0 { data.append(0) }
    }

    private mutating func appendInt64(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) }
    }

    private mutating func appendInt32(_ value: Int32) {
        withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) }
    }
}
