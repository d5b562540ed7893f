import Foundation

/// Reuses the `String` of a value seen a few rows before instead of allocating a new one per row: event types
/// and actor names repeat page after page, and reading the log otherwise allocates for each of them.
struct RecentStrings {
    private var entries: [(bytes: [UInt8], string: String)] = []
    private var next = 0
    private static let capacity = 16
    /// Swift stores strings of up to 15 UTF-8 bytes inline: there is no allocation to save.
    private static let inlineLength = 15

    mutating func string(_ utf8: UnsafeRawBufferPointer) -> String {
        guard utf8.count > Self.inlineLength, let base = utf8.baseAddress else {
            return String(decoding: utf8, as: UTF8.self)
        }
        for entry in entries where entry.bytes.count == utf8.count {
            let same = entry.bytes.withUnsafeBytes { stored in
                stored.baseAddress.map { memcmp($0, base, utf8.count) == 0 } ?? false
            }
            if same { return entry.string }
        }
        let string = String(decoding: utf8, as: UTF8.self)
        if entries.count < Self.capacity {
            entries.append((Array(utf8), string))
        } else {
            entries[next] = (Array(utf8), string)
            next = (next + 1) % Self.capacity
        }
        return string
    }
}
