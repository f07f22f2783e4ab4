import Foundation
import GRDB

/// A sample as recorded in the store: its frame's unit ids, cells, PRNs and π — no personal data,
/// so the record can outlive the retention of the contacts themselves (DESIGN.md §4).
struct RecordedSample: Sendable {
    struct Unit: Sendable, Equatable {
        package var source: String
        var interactionID: String
        var leg: Int
        var cell: String
        var bits: UInt64
        var inclusionProbability: Double
        package var selected: Bool
        package var reason: String

        package var id: String { "\(source)|\(interactionID)|\(leg)" }
    }

    package var id: Int64
    var kind: String
    var planName: String
    package var from: LocalDate
    package var to: LocalDate
    package var timeZone: String
    var planFingerprint: String
    package var seed: String
    var frameFingerprint: String
    package var manifest: String
    package var units: [Unit]
    /// How many units the recorded frame held (all of them, even when `units` holds the selected only).
    var frameUnits = 0
}

extension SQLiteStore {
    static func registerSamplingMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3: roster, recorded samples") { db in
            try db.execute(sql: """
                CREATE TABLE roster (
                    agent_id TEXT PRIMARY KEY, display_name TEXT, team TEXT, start_date TEXT, acknowledged_on TEXT,
                    ingest_id INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE samples (
                    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, plan_name TEXT NOT NULL,
                    period_from TEXT NOT NULL, period_to TEXT NOT NULL, timezone TEXT NOT NULL,
                    plan_fingerprint TEXT NOT NULL, seed TEXT NOT NULL, frame_fingerprint TEXT NOT NULL,
                    manifest TEXT NOT NULL, superseded_by INTEGER);
                CREATE INDEX samples_period ON samples(plan_name, period_from, period_to);
                CREATE TABLE sample_units (
                    sample_id INTEGER NOT NULL, source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg INTEGER NOT NULL,
                    cell TEXT NOT NULL, u_bits INTEGER NOT NULL, inclusion_probability REAL NOT NULL,
                    selected INTEGER NOT NULL, reason TEXT NOT NULL,
                    PRIMARY KEY (sample_id, source, interaction_id, leg)) WITHOUT ROWID;
                """)
        }
    }

}

extension SQLStore {
    /// The handled legs of a period's contacts, with what sampling filters on, in a stable order.
    ///
    /// A leg counts as already evaluated when it has an evaluation and no recorded sample of the same
    /// period (routine or spot) selected it: evaluations that a sample of the period caused never change
    /// its frame, so `sample verify` still re-derives it.
    /// - Parameter risk: also read each leg's risk signals (for targeted designs), with this repeat window.
    func frameCandidates(_ period: Period, risk: RiskWeights? = nil) throws -> [FrameUnit] {
        var units: [FrameUnit] = []
        let query = try frameQuery(period, risk: risk)
        try forEachRow(query.sql, query.arguments) { units.append(query.unit($0)) }
        return units
    }

    /// The legs a recorded sample selected, as the period's frame has them today (a leg deleted since is
    /// missing): only those legs are read, not the week's frame.
    func selectedFrameUnits(sampleID: Int64, period: Period) throws -> [FrameUnit] {
        var units: [FrameUnit] = []
        let query = try frameQuery(period, only: "SELECT source, interaction_id, leg FROM sample_units WHERE sample_id = \(sampleID) AND selected = 1")
        try forEachRow(query.sql, query.arguments) { units.append(query.unit($0)) }
        return units
    }

    /// The frame's query, its arguments and what makes a unit of each row: for reading it elsewhere
    /// (a cursor inside a transaction), one unit at a time.
    /// - Parameter only: a query of `(source, interaction_id, leg)`: only those legs (a sample's selected ones).
    func frameQuery(_ period: Period, risk: RiskWeights? = nil, only: String? = nil) throws -> (sql: String, arguments: [FieldValue], unit: ([FieldValue]) -> FrameUnit) {
        let window = Int64(risk?.repeatWindowDays ?? 7) * 86_400_000
        let signals = risk == nil ? "" : """
            , COALESCE(l.hold_s, 0), c.transferred, c.escalated,
              CASE WHEN c.csat IS NULL THEN NULL WHEN c.csat >= \(SQLiteStore.csatSatisfiedFrom(KPIParameters(), prefix: "c.")) THEN 1 ELSE 0 END,
              c.nps,
              CASE WHEN c.next_inbound_at <= c.arrived_at + \(window) THEN 1 ELSE 0 END,
              a.customer_end_sentiment, l.hold_s, a.non_talk_ms, a.duration_ms, a.categories, a.leg_ref
            """
        let analytics = risk == nil ? "" : "LEFT JOIN conversation_analytics a ON a.source = l.source AND a.leg_ref = \(SQLiteStore.analyticsKey)"
        // The scorecards' automatic checks, each leg judged by those of its channel's scorecards.
        let rules: [(card: Scorecard, rule: AutoRule)] = risk == nil ? [] : try latestScorecards().flatMap { card in
            card.criteria.compactMap { $0.auto }.map { (card, $0) }
        }
        let sql = """
            SELECT l.source, l.interaction_id, l.leg, l.agent_id, l.team, c.channel, COALESCE(l.queue, c.queue), c.direction,
                   c.contact_reason, c.arrived_at, l.recording_ref,
                   COALESCE(l.talk_s, 0) + COALESCE(l.hold_s, 0) + COALESCE(l.acw_s, 0), c.monitoring_notice,
                   CASE WHEN r.acknowledged_on IS NOT NULL AND r.acknowledged_on <= ? THEN 1 ELSE 0 END,
                   CASE WHEN EXISTS (SELECT 1 FROM evaluations e WHERE e.source = l.source AND e.interaction_id = l.interaction_id AND e.leg = l.leg)
                         AND NOT EXISTS (SELECT 1 FROM sample_units u JOIN samples s ON s.id = u.sample_id
                                         WHERE u.source = l.source AND u.interaction_id = l.interaction_id AND u.leg = l.leg AND u.selected = 1
                                           AND s.period_from = ? AND s.period_to = ?) THEN 1 ELSE 0 END\(signals)
            FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id
            LEFT JOIN roster r ON r.agent_id = l.agent_id
            \(analytics)
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND c.abandoned = 0
            \(only.map { "AND (l.source, l.interaction_id, l.leg) IN (\($0))" } ?? "")
            ORDER BY l.source, l.interaction_id, l.leg
            """
        let arguments: [FieldValue] = [.text(period.to.description), .text(period.from.description), .text(period.to.description),
                                       .integer(period.fromUTC), .integer(period.toUTC)]
        return (sql, arguments, { row in
            var unit = FrameUnit(source: row[0].string ?? "", interactionID: row[1].string ?? "", leg: row[2].int ?? 0, agent: row[3].string, team: row[4].string,
                                 channel: row[5].string ?? "", queue: row[6].string, direction: row[7].string ?? "inbound", reason: row[8].string,
                                 arrivedAt: row[9].int64 ?? 0, recordingRef: row[10].string, handleSeconds: row[11].double ?? 0,
                                 monitoringNotice: row[12].bool, agentAcknowledged: row[13].bool ?? false, evaluated: row[14].bool ?? false)
            if risk != nil {
                unit.signals.holdSeconds = row[15].double ?? 0
                unit.signals.transferred = row[16].bool ?? false
                unit.signals.escalated = row[17].bool ?? false
                unit.signals.satisfied = row[18].bool
                unit.signals.nps = row[19].int
                unit.signals.repeated = row[20].bool ?? false
                unit.signals.customerEndSentiment = row[21].double
                if !rules.isEmpty {
                    let leg = AutoCheckLeg(source: unit.source, interactionID: unit.interactionID, leg: unit.leg, agent: unit.agent, team: unit.team,
                                           channel: unit.channel, holdSeconds: row[22].double, nonTalkMs: row[23].int64, durationMs: row[24].int64,
                                           customerEndSentiment: row[21].double,
                                           categories: row[26].string == nil ? nil : (row[25].string ?? "").split(separator: "\n").map(String.init))
                    unit.signals.autoChecksFailed = rules.filter { $0.card.applies(to: unit.channel) && $0.rule.passes(leg) == false }.count
                }
            }
            return unit
        })
    }

    /// The latest sample of a kind recorded for a plan and period, unless superseded.
    /// - Parameter selectedOnly: read only the selected units of the record, not its whole frame.
    func recordedSample(planName: String, from: LocalDate, to: LocalDate, kind: String = "routine", selectedOnly: Bool = false) throws -> RecordedSample? {
        guard let row = try query("""
            SELECT id, kind, plan_name, period_from, period_to, timezone, plan_fingerprint, seed, frame_fingerprint, manifest
            FROM samples WHERE plan_name = ? AND period_from = ? AND period_to = ? AND kind = ? AND superseded_by IS NULL
            ORDER BY id DESC LIMIT 1
            """, [.text(planName), .text(from.description), .text(to.description), .text(kind)]).first else { return nil }
        let id = row[0].int64 ?? 0
        let units = try query("""
            SELECT source, interaction_id, leg, cell, u_bits, inclusion_probability, selected, reason
            FROM sample_units WHERE sample_id = ?\(selectedOnly ? " AND selected = 1" : "") ORDER BY source, interaction_id, leg
            """, [.integer(id)]).map(Self.unit)
        return RecordedSample(id: id, kind: row[1].string ?? "", planName: row[2].string ?? "", from: LocalDate(iso: row[3].string ?? "")!,
                              to: LocalDate(iso: row[4].string ?? "")!, timeZone: row[5].string ?? "", planFingerprint: row[6].string ?? "",
                              seed: row[7].string ?? "", frameFingerprint: row[8].string ?? "", manifest: row[9].string ?? "", units: units,
                              frameUnits: selectedOnly ? try query("SELECT COUNT(*) FROM sample_units WHERE sample_id = ?", [.integer(id)]).first?.first?.int ?? 0
                                                       : units.count)
    }

    private static func unit(_ row: [FieldValue]) -> RecordedSample.Unit {
        RecordedSample.Unit(source: row[0].string ?? "", interactionID: row[1].string ?? "", leg: row[2].int ?? 0, cell: row[3].string ?? "",
                            bits: UInt64(bitPattern: row[4].int64 ?? 0), inclusionProbability: row[5].double ?? 0,
                            selected: row[6].bool ?? false, reason: row[7].string ?? "")
    }

    /// Records a drawn sample with its whole frame; `supersedes` marks an earlier record as replaced.
    @discardableResult
    func record(_ manifest: SampleManifest, text: String? = nil, supersedes: Int64? = nil) throws -> Int64 {
        let sample = manifest.sample
        let manifestText = text ?? manifest.text
        // Key order makes the inserts append-like instead of random.
        let units = sample.units.sorted { ($0.unit.source, $0.unit.interactionID, $0.unit.leg) < ($1.unit.source, $1.unit.interactionID, $1.unit.leg) }
        return try transaction { db in
            let id = try db.query("""
                INSERT INTO samples (kind, plan_name, period_from, period_to, timezone, plan_fingerprint, seed, frame_fingerprint, manifest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [.text(manifest.kind), .text(sample.plan.name), .text(manifest.period.from.description), .text(manifest.period.to.description),
                      .text(manifest.period.clock.identifier), .text(sample.plan.fingerprint), .text(String(sample.plan.seed)),
                      .text(manifest.frameFingerprint), .text(manifestText)]).first?.first?.int64 ?? 0
            // A thousand units per statement: one round trip (PostgreSQL) or one step (SQLite) each.
            var start = 0
            while start < units.count {
                let chunk = units[start..<min(start + 1_000, units.count)]
                var arguments: [FieldValue] = []
                arguments.reserveCapacity(chunk.count * 9)
                for unit in chunk {
                    arguments += [.integer(id), .text(unit.unit.source), .text(unit.unit.interactionID), .integer(Int64(unit.unit.leg)), .text(unit.cell),
                                  .integer(Int64(bitPattern: unit.bits)), .real(unit.inclusionProbability), FieldValue(unit.selected), .text(manifest.kind)]
                }
                try db.execute("""
                    INSERT INTO sample_units (sample_id, source, interaction_id, leg, cell, u_bits, inclusion_probability, selected, reason)
                    VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                    """, arguments)
                start += chunk.count
            }
            if let supersedes { try db.execute("UPDATE samples SET superseded_by = ? WHERE id = ?", [.integer(id), .integer(supersedes)]) }
            return id
        }
    }

    /// Adds or updates roster entries (the latest file wins for each agent). An entry the file repeats
    /// unchanged is not rewritten: the same roster every night leaves the kept aggregates valid.
    /// - Returns: how many entries were written.
    func upsertRoster(_ entries: [RosterEntry]) throws -> Int {
        try transaction { db in
            for entry in entries {
                try db.execute("""
                    INSERT INTO roster (agent_id, display_name, team, start_date, acknowledged_on, ingest_id) VALUES (?, ?, ?, ?, ?, 0)
                    ON CONFLICT (agent_id) DO UPDATE SET display_name = excluded.display_name, team = excluded.team,
                        start_date = excluded.start_date, acknowledged_on = excluded.acknowledged_on
                    WHERE \(["display_name", "team", "start_date", "acknowledged_on"].map {
                        // Null-safe "differs" in the SQL both backends accept (SQLite before 3.39 has no IS DISTINCT FROM).
                        "roster.\($0) <> excluded.\($0) OR (roster.\($0) IS NULL) <> (excluded.\($0) IS NULL)"
                    }.joined(separator: " OR "))
                    """, [.text(entry.agentID), FieldValue(entry.displayName), FieldValue(entry.team),
                          FieldValue(entry.startDate?.description), FieldValue(entry.acknowledgedOn?.description)])
            }
        }
        return entries.count
    }
}
