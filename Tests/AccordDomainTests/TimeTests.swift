import AccordTime
import Testing

@Suite("Exact time")
struct TimeTests {
    @Test("RFC 3339 round trip with offsets and microseconds")
    func parsesOffsets() throws {
        let brussels = try #require(Instant(iso8601: "2025-06-03T12:00:00+02:00"))
        #expect(brussels.iso8601 == "2025-06-03T10:00:00.000000Z")
        let fine = try #require(Instant(iso8601: "2023-04-04T13:05:07.123456Z"))
        #expect(Instant(iso8601: fine.iso8601) == fine)
        #expect(Instant(iso8601: "2023-04-04T13:05:07.1234567Z") == nil)
        #expect(Instant(iso8601: "2025-02-29T00:00:00Z") == nil)
    }

    @Test("calendar arithmetic is exact")
    func calendar() throws {
        let date = try #require(CivilDate(iso8601: "2024-01-31"))
        #expect(date.adding(months: 1).iso8601 == "2024-02-29")
        #expect(date.adding(days: 60).iso8601 == "2024-03-31")
        #expect(date.adding(days: 60).firstDayOfNextMonth.iso8601 == "2024-04-01")
        #expect(CivilDate(daysSinceEpoch: 0).iso8601 == "1970-01-01")
        #expect(try #require(CivilDate(iso8601: "1969-12-31")).daysSinceEpoch == -1)
    }
}
