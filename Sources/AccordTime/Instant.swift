/// A point on the UTC time line, exact to the microsecond.
///
/// Accord stores and compares time as an integer count of microseconds since 1970-01-01T00:00:00Z so that
/// ordering, hashing and "as of" comparisons are exact; `Date` (a `Double`) would round.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public init(secondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = secondsSinceEpoch * 1_000_000
    }

    /// The first microsecond of a calendar day in UTC.
    public init(startOf date: CivilDate) {
        self.init(secondsSinceEpoch: date.daysSinceEpoch * 86_400)
    }

    public static let distantPast = Instant(microsecondsSinceEpoch: Int64.min / 2)
    public static let distantFuture = Instant(microsecondsSinceEpoch: Int64.max / 2)

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    public func adding(microseconds: Int64) -> Instant {
        Instant(microsecondsSinceEpoch: microsecondsSinceEpoch + microseconds)
    }

    public func adding(seconds: Int64) -> Instant {
        adding(microseconds: seconds * 1_000_000)
    }

    /// The UTC calendar day this instant falls on.
    public var utcDate: CivilDate {
        CivilDate(daysSinceEpoch: floorDiv(microsecondsSinceEpoch, 86_400_000_000))
    }

    /// RFC 3339 in UTC with microseconds, e.g. `2025-04-10T21:14:00.000000Z`. Fixed width, so the text
    /// sorts like the instant.
    public var iso8601: String {
        let days = floorDiv(microsecondsSinceEpoch, 86_400_000_000)
        let micros = microsecondsSinceEpoch - days * 86_400_000_000
        let date = CivilDate(daysSinceEpoch: days)
        let seconds = micros / 1_000_000
        let fraction = micros % 1_000_000
        return date.iso8601 + "T" + pad(seconds / 3600, 2) + ":" + pad((seconds / 60) % 60, 2) + ":"
            + pad(seconds % 60, 2) + "." + pad(fraction, 6) + "Z"
    }

    public var description: String { iso8601 }

    /// Parses RFC 3339 date-times (`2025-04-10T21:14:00Z`, `2025-04-10T23:14:00.5+02:00`, lower-case `t`/`z`
    /// or a space separator accepted). Fractions finer than a microsecond are refused rather than rounded.
    public init?(iso8601 text: String) {
        var parser = TextScanner(text)
        guard let date = parser.civilDate() else { return nil }
        guard let separator = parser.next(), separator == "T" || separator == "t" || separator == " " else { return nil }
        guard let hour = parser.fixedDigits(2), parser.expect(":"),
              let minute = parser.fixedDigits(2), parser.expect(":"),
              let second = parser.fixedDigits(2),
              hour < 24, minute < 60, second < 60 else { return nil }
        var fraction: Int64 = 0
        if parser.peek() == "." {
            _ = parser.next()
            var digits = 0
            while let c = parser.peek(), let d = c.wholeNumberValue, c.isASCII {
                _ = parser.next()
                digits += 1
                guard digits <= 6 else { return nil }
                fraction = fraction * 10 + Int64(d)
            }
            guard digits > 0 else { return nil }
            for _ in digits..<6 { fraction *= 10 }
        }
        guard let zone = parser.next() else { return nil }
        var offsetSeconds: Int64 = 0
        switch zone {
        case "Z", "z":
            break
        case "+", "-":
            guard let oh = parser.fixedDigits(2), parser.expect(":"), let om = parser.fixedDigits(2),
                  oh < 24, om < 60 else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (zone == "-" ? -1 : 1)
        default:
            return nil
        }
        guard parser.isAtEnd else { return nil }
        let local = date.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
        self.init(microsecondsSinceEpoch: (local - offsetSeconds) * 1_000_000 + fraction)
    }
}

extension Instant: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let instant = Instant(iso8601: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not an RFC 3339 date-time such as 2025-04-10T14:00:00Z")
        }
        self = instant
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}

/// A calendar day without a time zone (proleptic Gregorian), e.g. the date a law entered into force.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int64
    public let month: Int64
    public let day: Int64

    /// Returns nil for impossible dates such as 2025-02-29.
    public init?(year: Int64, month: Int64, day: Int64) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
              (-9999...9999).contains(year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Howard Hinnant's `civil_from_days`: exact integer conversion, valid far beyond any treaty's life.
    public init(daysSinceEpoch z0: Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = m <= 2 ? y + 1 : y
        self.month = m
        self.day = d
    }

    /// Howard Hinnant's `days_from_civil`.
    public var daysSinceEpoch: Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public func adding(days: Int64) -> CivilDate {
        CivilDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// The first day of the month after this date's month.
    public var firstDayOfNextMonth: CivilDate {
        let nextMonth = month == 12 ? 1 : month + 1
        let nextYear = month == 12 ? year + 1 : year
        return CivilDate(daysSinceEpoch: CivilDate.unchecked(nextYear, nextMonth, 1).daysSinceEpoch)
    }

    public var firstDayOfMonth: CivilDate { CivilDate.unchecked(year, month, 1) }

    /// The same day `months` months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb).
    public func adding(months: Int64) -> CivilDate {
        let total = year * 12 + (month - 1) + months
        let y = floorDiv(total, 12)
        let m = total - y * 12 + 1
        return CivilDate.unchecked(y, m, min(day, CivilDate.daysIn(month: m, year: y)))
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var iso8601: String {
        (year < 0 ? "-" : "") + pad(abs(year), 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    public var description: String { iso8601 }

    /// Parses `YYYY-MM-DD`.
    public init?(iso8601 text: String) {
        var scanner = TextScanner(text)
        guard let date = scanner.civilDate(), scanner.isAtEnd else { return nil }
        self = date
    }

    public static func isLeap(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    fileprivate init(uncheckedYear year: Int64, month: Int64, day: Int64) {
        self.year = year
        self.month = month
        self.day = day
    }

    fileprivate static func unchecked(_ y: Int64, _ m: Int64, _ d: Int64) -> CivilDate {
        CivilDate(uncheckedYear: y, month: m, day: d)
    }
}

extension CivilDate: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CivilDate(iso8601: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a calendar date such as 2025-04-10")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// A tiny cursor over ASCII text for the fixed date formats above.
struct TextScanner {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    var isAtEnd: Bool { index == scalars.count }

    func peek() -> Character? { index < scalars.count ? Character(scalars[index]) : nil }

    mutating func next() -> Character? {
        guard index < scalars.count else { return nil }
        defer { index += 1 }
        return Character(scalars[index])
    }

    mutating func expect(_ c: Character) -> Bool {
        guard peek() == c else { return false }
        index += 1
        return true
    }

    mutating func fixedDigits(_ count: Int) -> Int64? {
        var value: Int64 = 0
        for _ in 0..<count {
            guard index < scalars.count, let d = Character(scalars[index]).wholeNumberValue,
                  scalars[index].isASCII else { return nil }
            value = value * 10 + Int64(d)
            index += 1
        }
        return value
    }

    mutating func civilDate() -> CivilDate? {
        guard let y = fixedDigits(4), expect("-"), let m = fixedDigits(2), expect("-"), let d = fixedDigits(2)
        else { return nil }
        return CivilDate(year: y, month: m, day: d)
    }
}
