/// An exact non-negative fraction, e.g. a threshold of 55/100 or a population share of 287,061,392 /
/// 447,925,682. Compared by cross-multiplication in 128-bit arithmetic: never floating point.
public struct Ratio: Hashable, Sendable, Codable, CustomStringConvertible {
    public let numerator: Int64
    public let denominator: Int64

    /// nil when the denominator is not positive or the numerator is negative.
    public init?(_ numerator: Int64, _ denominator: Int64) {
        guard denominator > 0, numerator >= 0 else { return nil }
        self.numerator = numerator
        self.denominator = denominator
    }

    /// A share of zero items: 0/1, so that empty electorates render as 0% instead of dividing by zero.
    public static func share(_ part: Int64, of whole: Int64) -> Ratio {
        whole > 0 ? Ratio(uncheckedNumerator: max(0, part), denominator: whole) : Ratio(uncheckedNumerator: 0, denominator: 1)
    }

    init(uncheckedNumerator: Int64, denominator: Int64) {
        self.numerator = uncheckedNumerator
        self.denominator = denominator
    }

    public static let zero = Ratio(uncheckedNumerator: 0, denominator: 1)
    public static let one = Ratio(uncheckedNumerator: 1, denominator: 1)
    public static let oneThird = Ratio(uncheckedNumerator: 1, denominator: 3)

    /// `self ≥ other`, exactly.
    public func isAtLeast(_ other: Ratio) -> Bool {
        Int128(numerator) * Int128(other.denominator) >= Int128(other.numerator) * Int128(denominator)
    }

    public func isGreaterThan(_ other: Ratio) -> Bool {
        Int128(numerator) * Int128(other.denominator) > Int128(other.numerator) * Int128(denominator)
    }

    /// The percentage rounded half-up to `decimals` places, computed with integers: 64.0843…% → "64.08%".
    public func percentage(decimals: Int = 2) -> String {
        var scale: Int128 = 100
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (Int128(numerator) * scale * 2 + Int128(denominator)) / (Int128(denominator) * 2)
        var unit: Int128 = 1
        for _ in 0..<decimals { unit *= 10 }
        let whole = scaled / unit
        let fraction = scaled % unit
        guard decimals > 0 else { return "\(whole)%" }
        var fractionText = String(fraction)
        while fractionText.count < decimals { fractionText = "0" + fractionText }
        return "\(whole).\(fractionText)%"
    }

    /// The smallest integer `n` with `n / whole ≥ self`: e.g. 55% of 27 members needs 15.
    public func minimumCount(of whole: Int64) -> Int64 {
        let product = Int128(numerator) * Int128(whole)
        let d = Int128(denominator)
        return Int64((product + d - 1) / d)
    }

    public var description: String { "\(numerator)/\(denominator)" }

    enum CodingKeys: String, CodingKey { case numerator, denominator }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let n = try container.decode(Int64.self, forKey: .numerator)
        let d = try container.decode(Int64.self, forKey: .denominator)
        guard let ratio = Ratio(n, d) else {
            throw DecodingError.dataCorruptedError(
                forKey: .denominator, in: container,
                debugDescription: "a ratio needs a numerator ≥ 0 and a denominator > 0")
        }
        self = ratio
    }
}

/// Formats integers with thousands separators, as figures are shown to people: 25,000 troops.
public func groupedDigits(_ value: Int64) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return value < 0 ? "-" + out : out
}
