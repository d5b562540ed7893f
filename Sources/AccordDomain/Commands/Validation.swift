import Foundation

/// An event a command decided to record, with the instant it takes effect.
public struct PendingEvent: Hashable, Sendable {
    public var event: DomainEvent
    public var occurredAt: Instant

    public init(_ event: DomainEvent, occurredAt: Instant) {
        self.event = event
        self.occurredAt = occurredAt
    }
}

/// Checks of free text that reaches logs, CSV exports and web pages.
enum TextRules {
    /// Bidirectional overrides can make a name read differently from what it is.
    static let bidiControls: ClosedRange<UInt32> = 0x202A...0x202E
    static let bidiIsolates: ClosedRange<UInt32> = 0x2066...0x2069

    static func singleLine(_ value: String, field: String, maximum: Int = DomainLimits.maximumShortTextLength, required: Bool = true) throws(DomainError) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if required && trimmed.isEmpty { throw .invalidValue(field: field, reason: "cannot be empty") }
        try check(trimmed, field: field, maximum: maximum, allowNewlines: false)
        return trimmed
    }

    static func multiLine(_ value: String?, field: String, maximum: Int = DomainLimits.maximumNoteLength) throws(DomainError) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return nil }
        try check(trimmed, field: field, maximum: maximum, allowNewlines: true)
        return trimmed
    }

    static func optionalLine(_ value: String?, field: String, maximum: Int = DomainLimits.maximumShortTextLength) throws(DomainError) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        try check(trimmed, field: field, maximum: maximum, allowNewlines: false)
        return trimmed
    }

    static func check(_ value: String, field: String, maximum: Int, allowNewlines: Bool) throws(DomainError) {
        let count = value.count
        if count > maximum { throw .invalidValue(field: field, reason: "at most \(maximum) characters (\(count) given)") }
        for scalar in value.unicodeScalars {
            if scalar.properties.generalCategory == .control && !(allowNewlines && (scalar == "\n" || scalar == "\t" || scalar == "\r")) {
                throw .invalidValue(field: field, reason: "contains a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
            }
            if bidiControls.contains(scalar.value) || bidiIsolates.contains(scalar.value) {
                throw .invalidValue(field: field, reason: "contains a bidirectional override character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
            }
            if scalar.properties.generalCategory == .privateUse || scalar.properties.generalCategory == .unassigned {
                throw .invalidValue(field: field, reason: "contains an unassigned or private-use character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
            }
        }
    }

    static func source(_ value: String?) throws(DomainError) -> String? {
        try optionalLine(value, field: "source", maximum: DomainLimits.maximumSourceLength)
    }

    static func list(_ values: [String], field: String) throws(DomainError) -> [String] {
        guard values.count <= DomainLimits.maximumListItems else {
            throw .invalidValue(field: field, reason: "at most \(DomainLimits.maximumListItems) items")
        }
        var out: [String] = []
        for (i, v) in values.enumerated() {
            if let line = try optionalLine(v, field: "\(field)[\(i)]") { out.append(line) }
        }
        return out
    }
}

enum NumberRules {
    static func troops(_ value: Int64, field: String = "troops") throws(DomainError) {
        guard value >= 0 else { throw .invalidTroops(value, reason: "\(field) cannot be negative") }
        guard value <= DomainLimits.maximumTroops else {
            throw .invalidTroops(value, reason: "\(field) above \(groupedDigits(DomainLimits.maximumTroops)) is not a plausible figure")
        }
    }

    static func votes(_ value: Int64?, field: String) throws(DomainError) {
        guard let value else { return }
        guard (0...DomainLimits.maximumVotes).contains(value) else {
            throw .invalidValue(field: field, reason: "must be between 0 and \(DomainLimits.maximumVotes)")
        }
    }
}

enum TimeRules {
    /// An effective date may lie in the past (recorded late) but not in the future beyond the clock skew.
    static func notInFuture(_ occurredAt: Instant, now: Instant) throws(DomainError) {
        let allowance = DomainLimits.clockSkewAllowanceSeconds
        if occurredAt > now.adding(seconds: allowance) {
            throw .occurredInFuture(occurredAt: occurredAt, now: now, allowanceSeconds: allowance)
        }
    }
}

/// Wall-clock times in named zones. A NATO silence deadline is set in Brussels time; Accord keeps the instant
/// (to compare) and the zone and local time (to show).
public enum ZonedTime {
    public static func isValidZone(_ identifier: String) -> Bool { TimeZone(identifier: identifier) != nil }

    /// Converts a local `YYYY-MM-DDTHH:MM[:SS]` in `zone` to an instant. In a daylight-saving gap the later
    /// offset wins; in an overlap the earlier instant.
    public static func instant(local: String, zone identifier: String) throws(DomainError) -> DeadlineValue {
        guard let zone = TimeZone(identifier: identifier) else { throw .invalidTimeZone(identifier) }
        let parts = local.split(separator: "T", maxSplits: 1).map(String.init)
        guard parts.count == 2, let date = CivilDate(iso8601: parts[0]) else { throw .invalidLocalTime(local) }
        let clock = parts[1].split(separator: ":").map { Int64($0) }
        guard (2...3).contains(clock.count), clock.allSatisfy({ $0 != nil }) else { throw .invalidLocalTime(local) }
        let h = clock[0] ?? 0, m = clock[1] ?? 0, s = clock.count == 3 ? (clock[2] ?? 0) : 0
        guard (0..<24).contains(h), (0..<60).contains(m), (0..<60).contains(s) else { throw .invalidLocalTime(local) }
        let localSeconds = date.daysSinceEpoch * 86_400 + h * 3600 + m * 60 + s
        func offset(_ utcSeconds: Int64) -> Int64 {
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utcSeconds))))
        }
        let first = offset(localSeconds)
        var utc = localSeconds - first
        let second = offset(utc)
        if second != first { utc = localSeconds - second }
        let instant = Instant(secondsSinceEpoch: utc)
        return DeadlineValue(at: instant, timeZone: identifier, localTime: localText(instant, zone: identifier) ?? local)
    }

    /// The wall-clock time of an instant in a zone, `YYYY-MM-DDTHH:MM` (seconds when not zero).
    public static func localText(_ instant: Instant, zone identifier: String) -> String? {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        let seconds = instant.microsecondsSinceEpoch / 1_000_000
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
        let local = Instant(secondsSinceEpoch: seconds + offset).iso8601
        // "2025-06-03T12:00:00.000000Z" → "2025-06-03T12:00"
        let trimmed = String(local.prefix(19))
        return trimmed.hasSuffix(":00") ? String(trimmed.prefix(16)) : trimmed
    }
}
