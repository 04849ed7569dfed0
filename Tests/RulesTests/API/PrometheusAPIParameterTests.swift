import Testing
@testable import Rules

@Suite("Prometheus API time and duration parameters")
struct PrometheusAPIParameterTests {
    static func badTime(_ s: String) -> PrometheusAPI.BadData {
        PrometheusAPI.BadData(message: "cannot parse \(PromQLString.quote(s)) to a valid timestamp")
    }

    @Test("Unix seconds with fractions, rounded to the millisecond as Prometheus rounds them", arguments: [
        ("1562529662.324", Int64(1_562_529_662_324)), ("0", 0), ("1.5", 1500), ("-1.5", -1500), ("+5", 5000), (".5", 500),
        ("5.", 5000), ("1e3", 1_000_000), ("0x1p3", 8000), ("1.0004", 1000), ("1.0006", 1001), ("-0.0005", -1),
        ("9223309901257974", 9_223_309_901_257_974_000), ("-9223309901257974", -9_223_309_901_257_974_000),
    ])
    func unixSeconds(_ text: String, _ ms: Int64) throws {
        #expect(try PrometheusAPI.parseTime(text) == ms)
    }

    @Test("RFC 3339 with nanoseconds and offsets; the fraction is truncated to milliseconds", arguments: [
        ("2019-07-07T20:01:02Z", Int64(1_562_529_662_000)), ("2019-07-07T20:47:40+03:00", 1_562_521_660_000),
        ("2019-07-07T20:01:02.123456789Z", 1_562_529_662_123), ("2019-07-07T20:01:02.9999Z", 1_562_529_662_999),
        ("2019-07-07T20:01:02.5-01:30", 1_562_535_062_500), ("1969-12-31T23:59:59.5Z", -500),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000), ("0000-01-01T00:00:00Z", -62_167_219_200_000),
        ("9999-12-31T23:59:59.999999999Z", 253_402_300_799_999),
    ])
    func rfc3339(_ text: String, _ ms: Int64) throws {
        #expect(try PrometheusAPI.parseTime(text) == ms)
    }

    @Test("Prometheus' formatted min and max times are its bounds")
    func bounds() throws {
        #expect(try PrometheusAPI.parseTime(PrometheusAPI.minTimeFormatted) == PrometheusAPI.minTime)
        #expect(try PrometheusAPI.parseTime(PrometheusAPI.maxTimeFormatted) == PrometheusAPI.maxTime)
        #expect(try PrometheusAPI.parseTime("-292273086-05-16T16:47:06Z") == -9_223_309_901_257_974_000)
        #expect(try PrometheusAPI.parseTime("292277025-08-18T07:12:54.999999999Z") == 9_223_309_901_257_974_999)
    }

    @Test("everything else is bad_data, never a trap", arguments: [
        "1e300", "-1e300", "9300000000000000", "-9300000000000000", "9223309901257975", "1e400", "NaN", "nan", "Inf", "-Inf",
        "+infinity", "", " 1", "1 ", "abc", "0x10", "1_000", "1e", "-", ".", "2019-07-07 20:01:02Z", "2019-07-07t20:01:02z",
        "2019-07-07T20:01:02", "2019-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2019-04-31T00:00:00Z", "2019-07-07T24:00:00Z",
        "2019-07-07T20:60:00Z", "2019-07-07T20:00:60Z", "2019-07-07T20:01:02.Z", "2019-07-07T20:01:02+24:00",
        "2019-07-07T20:01:02+03:60", "2019-07-07T20:01:02+0300", "19-07-07T20:01:02Z", "-292273086-05-16T16:47:07Z",
    ])
    func rejected(_ text: String) {
        #expect(throws: Self.badTime(text)) { try PrometheusAPI.parseTime(text) }
    }

    @Test("the error quotes the input as Go's %q does")
    func quoting() {
        #expect(Self.badTime("a\"b\n").message == #"cannot parse "a\"b\n" to a valid timestamp"#)
    }

    @Test("durations: float seconds or Prometheus notation, within Go's time.Duration", arguments: [
        ("1h30m", Int64(5_400_000)), ("1.5", 1500), ("0", 0), ("-1", -1000), ("500ms", 500), ("9223372036", 9_223_372_036_000),
        ("1y", 31_536_000_000), ("0.0001", 0),
    ])
    func durations(_ text: String, _ ms: Int64) throws {
        #expect(try PrometheusAPI.parseDuration(text) == ms)
    }

    @Test("durations that overflow or do not parse are bad_data", arguments: [
        ("1e300", "cannot parse \"1e300\" to a valid duration. It overflows int64"),
        ("-1e300", "cannot parse \"-1e300\" to a valid duration. It overflows int64"),
        ("9223372037", "cannot parse \"9223372037\" to a valid duration. It overflows int64"),
        ("Inf", "cannot parse \"Inf\" to a valid duration. It overflows int64"),
        ("NaN", "cannot parse \"NaN\" to a valid duration"),
        ("300y", "cannot parse \"300y\" to a valid duration"),
        ("999999999999999y", "cannot parse \"999999999999999y\" to a valid duration"),
        ("1m1h", "cannot parse \"1m1h\" to a valid duration"),
        ("", "cannot parse \"\" to a valid duration"),
    ])
    func badDurations(_ text: String, _ message: String) {
        #expect(throws: PrometheusAPI.BadData(message: message)) { try PrometheusAPI.parseDuration(text) }
    }
}
