import AccordDomain
import AccordEventStore
import AccordTime

/// Dates and times as the secretariat types them.
enum Times {
    /// `2025-04-10` or an RFC 3339 date-time. A date alone means 12:00 UTC that day — inside the same
    /// calendar day from UTC−11 to UTC+11 — or now, for today before noon UTC.
    static func effective(_ text: String, now: Instant = SystemWallClock().now()) -> Instant? {
        if let instant = Instant(iso8601: text) { return instant }
        guard let date = CivilDate(iso8601: text) else { return nil }
        let noon = Instant(startOf: date).adding(seconds: 12 * 3600)
        if noon > now && Instant(startOf: date) <= now { return now }
        return noon
    }

    /// Parses a `--date` style option; a usage failure names the option.
    static func option(_ text: String?, _ name: String) throws(ClientFailure) -> Instant? {
        guard let text else { return nil }
        guard let instant = effective(text) else {
            throw .usage("\(name) \(text): not a date (2025-04-10) or date-time (2025-04-10T14:00:00Z)")
        }
        return instant
    }

    /// An "as of" as the server reads it: a date-time, or a date meaning the end of that day in UTC.
    static func endOfDayOrInstant(_ text: String) -> Instant? {
        Instant(iso8601: text) ?? CivilDate(iso8601: text).map { Instant(startOf: $0.adding(days: 1)).adding(microseconds: -1) }
    }

    /// Checks `--as-of` (a date or date-time) and `--known-at` (also a log position) before they are sent.
    static func readQuery(asOf: String?, knownAt: String?) throws(ClientFailure) -> [(String, String?)] {
        if let asOf, endOfDayOrInstant(asOf) == nil {
            throw .usage("--as-of \(asOf): not a date (2025-04-10) or date-time (2025-04-10T14:00:00Z)")
        }
        if let knownAt, Int64(knownAt).map({ $0 < 0 }) ?? true, Instant(iso8601: knownAt) == nil, CivilDate(iso8601: knownAt) == nil {
            throw .usage("--known-at \(knownAt): not a log position, a date or a date-time")
        }
        return [("asOf", asOf), ("knownAt", knownAt)]
    }

    static func day(_ instant: Instant) -> String { String(instant.iso8601.prefix(10)) }

    /// To the minute, in UTC: `2025-04-10 14:00Z`.
    static func minute(_ instant: Instant) -> String {
        let text = instant.iso8601
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + "Z"
    }
}
