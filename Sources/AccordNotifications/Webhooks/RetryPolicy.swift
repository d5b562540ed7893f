import AccordDomain
import AccordEventStore
import Foundation

/// When to try a failed delivery again: exponential backoff with jitter from `initialInterval`, at most
/// `maximumInterval` apart, for `horizon` after the notification was produced (3 days by default); a
/// receiver's `Retry-After` is honoured.
public struct RetryPolicy: Sendable, Hashable {
    public var initialInterval: Duration
    public var maximumInterval: Duration
    public var horizon: Duration

    public init(initialInterval: Duration = .seconds(5), maximumInterval: Duration = .seconds(3600), horizon: Duration = .seconds(3 * 86_400)) {
        self.initialInterval = initialInterval
        self.maximumInterval = maximumInterval
        self.horizon = horizon
    }

    /// The wait after the `attempt`-th failed attempt (1-based): a random time between half and all of
    /// `initialInterval × 2^(attempt-1)` (capped), so that receivers coming back are not hit by every
    /// sender at once; at least what `Retry-After` asked for.
    public func delay(afterAttempt attempt: Int64, retryAfter: Duration?) -> Duration {
        let exponent = min(max(attempt - 1, 0), 40)
        let initial = max(initialInterval.microseconds, 1)
        let cap = max(maximumInterval.microseconds, initial)
        let (scaled, overflow) = initial.multipliedReportingOverflow(by: Int64(1) << exponent)
        let base = overflow ? cap : min(scaled, cap)
        var generator = SystemRandomNumberGenerator()
        let jittered = base / 2 + Int64.random(in: 0...(base - base / 2), using: &generator)
        let asked = retryAfter.map { max($0.microseconds, 0) } ?? 0
        return .microseconds(max(jittered, asked))
    }

    /// When the next attempt goes, or nil when the horizon has passed and the delivery fails for good.
    func nextAttempt(after attempt: Int64, now: Instant, producedAt: Instant, retryAfter: Duration?) -> Instant? {
        let deadline = producedAt.adding(microseconds: horizon.microseconds)
        guard now < deadline else { return nil }
        let next = now.adding(microseconds: delay(afterAttempt: attempt, retryAfter: retryAfter).microseconds)
        // A last attempt at the horizon rather than none.
        return min(next, deadline)
    }

    /// `Retry-After`: delta-seconds, or an HTTP date.
    static func parseRetryAfter(_ value: String?, now: Instant) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int64(value) { return .seconds(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        let micros = Int64(date.timeIntervalSince1970 * 1_000_000) - now.microsecondsSinceEpoch
        return .microseconds(max(0, micros))
    }
}
