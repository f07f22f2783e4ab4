import Testing

extension Tag {
    /// Suites that take tens of seconds (processes killed and restarted, weeks of nightly runs, a
    /// browser, thousands of simulated samples): `swift test --skip` their names, or filter by this
    /// tag in an IDE, for a quick loop; CI runs everything.
    @Tag package static var slow: Self
}
