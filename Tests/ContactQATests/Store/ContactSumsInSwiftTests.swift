@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// The SQLite store adds up a report's contact sums in Swift from the contacts in arrival order, where
/// SQLite's `GROUP BY` sorted them by key first: every group, count and double must be what the grouped
/// statement gives, bit for bit, for every grouping and every way of measuring FCR and CSAT.
@Suite("Contact sums added up in Swift")
struct ContactSumsInSwiftTests {
    /// Both results in the kept-aggregates encoding, which writes each double's bits.
    static func bits(_ rows: [ContactAggregate]) -> Data {
        var w = CacheWriter()
        w.int(rows.count)
        for row in rows { row.encode(&w) }
        return w.data
    }

    @Test func theSumsAreTheGroupedStatementsToTheBit() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        // The generated waits are whole seconds, whose sums are exact in any order; these are not, so
        // a sum added in another order than SQLite's comes out different in its last bits.
        try store.queue.write { db in
            try db.execute(sql: "UPDATE contacts SET wait_s = wait_s * 1.1 + (unicode(substr(interaction_id, -1)) % 7) / 3.0")
        }
        let clock = AggregatesAtOnceTests.week.clock
        // Four weeks across the end of summer time in London (25 October 2026): days and hours shift.
        let span = Period(from: LocalDate(iso: "2026-10-19")!, to: LocalDate(iso: "2026-11-22")!, clock: clock)
        var followUp = KPIParameters()
        followUp.followUpBeforeUTC = AggregatesAtOnceTests.week.toUTC + 2 * 86_400_000
        let parameters = [KPIParameters(), followUp,
                          KPIParameters(shortAbandonSeconds: 12, serviceLevelSeconds: [.voice: 7, .chat: 45], fcrWindowDays: 3,
                                        fcrMatch: .customerAndReason, csatTopBoxes: 1),
                          KPIParameters(fcrMethod: .resolved)]
        let groupings: [[GroupDimension]] = [[], [.agent], [.team], [.channel], [.queue, .reason], [.day], [.dow, .hour],
                                             [.week, .team, .queue, .channel, .reason], [.week, .team, .agent]]
        var groups = 0
        for p in parameters {
            for groupBy in groupings {
                for period in [AggregatesAtOnceTests.week, span] {
                    let query = AggregateQuery(fromUTC: period.fromUTC, toUTC: period.toUTC, clock: clock, groupBy: groupBy, parameters: p)
                    let swift = try store.contactAggregates(query), sql = try store.contactAggregatesBySQL(query)
                    #expect(swift.map(\.key) == sql.map(\.key), "\(groupBy)")
                    #expect(ContactSumsInSwiftTests.bits(swift) == ContactSumsInSwiftTests.bits(sql), "\(groupBy) \(p)")
                    groups += sql.count
                }
            }
        }
        #expect(groups > 10_000)
        // An empty period has no group either way.
        let empty = Period(from: LocalDate(iso: "2025-01-06")!, to: LocalDate(iso: "2025-01-12")!, clock: clock)
        let query = AggregateQuery(fromUTC: empty.fromUTC, toUTC: empty.toUTC, clock: clock, groupBy: [], parameters: KPIParameters())
        #expect(try store.contactAggregates(query).isEmpty && store.contactAggregatesBySQL(query).isEmpty)
    }

    /// Texts that Swift's `String` takes as equal (an accent precomposed and combined) are two groups
    /// for SQLite, which compares bytes; NULL is one group of its own and sorts first; integers sort by
    /// value, before texts.
    @Test func groupsAreSQLitesGroups() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        let week = AggregatesAtOnceTests.week
        try store.queue.write { db in
            let reasons: [String?] = ["caf\u{E9}", "cafe\u{301}", nil, "caf\u{E9}", "Z", "a", "ab"]
            for (i, reason) in reasons.enumerated() {
                try db.execute(sql: """
                    INSERT INTO contacts (source, interaction_id, channel, arrived_at, wait_s, contact_reason, ingest_id)
                    VALUES ('t', ?, 'voice', ?, ?, ?, 0)
                    """, arguments: ["T\(i)", week.fromUTC + Int64(i) * 1000, 0.1 * Double(i + 1), reason])
            }
        }
        // Odd rows: a rating without a scale minimum, a one-point scale, a rating without a scale
        // maximum, an unknown channel, an abandon without a wait, a short abandon, NPS at its bounds.
        // Satisfied by hand: 3 of 3 and 5 of 1–5 (the top two boxes); 4 with no minimum only when two
        // top boxes are asked for (without a minimum the default rule takes the top box alone).
        try store.queue.write { db in
            let rows: [(String, Int, Double?, Int?, Int?, Int?, Int?)] = [
                ("voice", 0, 3.5, 4, nil, 5, 9), ("chat", 0, 30.25, 3, 3, 3, 6), ("voice", 0, 19.999, 2, 1, nil, 10),
                ("fax", 0, 21.5, 5, 1, 5, 0), ("voice", 1, nil, nil, nil, nil, 7), ("chat", 1, 4.75, nil, nil, nil, nil),
            ]
            for (i, row) in rows.enumerated() {
                try db.execute(sql: """
                    INSERT INTO contacts (source, interaction_id, channel, abandoned, arrived_at, wait_s, csat, csat_min, csat_max, nps, contact_reason, ingest_id)
                    VALUES ('t', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'odd', 0)
                    """, arguments: ["O\(i)", row.0, row.1, week.fromUTC + 500 + Int64(i) * 1000, row.2, row.3, row.4, row.5, row.6])
            }
        }
        for p in [KPIParameters(), KPIParameters(csatTopBoxes: 2)] {
            let odd = AggregateQuery(fromUTC: week.fromUTC, toUTC: week.toUTC, clock: week.clock, groupBy: [.reason, .channel], parameters: p)
            #expect(ContactSumsInSwiftTests.bits(try store.contactAggregates(odd)) == ContactSumsInSwiftTests.bits(try store.contactAggregatesBySQL(odd)))
            let sums = try store.contactAggregates(odd).filter { $0.key.first == .text("odd") }
            #expect(sums.map(\.offered).reduce(0, +) == 6 && sums.map(\.csatSatisfied).reduce(0, +) == (p.csatTopBoxes == nil ? 2 : 3))
        }
        let query = AggregateQuery(fromUTC: week.fromUTC, toUTC: week.toUTC, clock: week.clock, groupBy: [.reason], parameters: KPIParameters())
        let swift = try store.contactAggregates(query), sql = try store.contactAggregatesBySQL(query)
        #expect(ContactSumsInSwiftTests.bits(swift) == ContactSumsInSwiftTests.bits(sql))
        let reasons = swift.map { $0.key[0].map { value -> String in if case let .text(t) = value { t } else { "?" } } ?? "NULL" }
        #expect(reasons.first == "NULL")
        #expect(reasons.filter { $0.unicodeScalars.elementsEqual("caf\u{E9}".unicodeScalars) || $0.unicodeScalars.elementsEqual("cafe\u{301}".unicodeScalars) }.count == 2)
        let z = reasons.firstIndex(of: "Z"), a = reasons.firstIndex(of: "a"), ab = reasons.firstIndex(of: "ab")
        #expect(z != nil && a != nil && ab != nil && z! < a! && a! < ab!)
        let byHour = AggregateQuery(fromUTC: week.fromUTC, toUTC: week.toUTC, clock: week.clock, groupBy: [.hour, .reason], parameters: KPIParameters())
        #expect(ContactSumsInSwiftTests.bits(try store.contactAggregates(byHour)) == ContactSumsInSwiftTests.bits(try store.contactAggregatesBySQL(byHour)))
    }
}
