import Foundation
import GRDB

/// A sample as recorded in the store: its frame's unit ids, cells, PRNs and π — no personal data,
/// so the record can outlive the retention of the contacts themselves (DESIGN.md §4).
public struct RecordedSample: Sendable {
    public struct Unit: Sendable, Equatable {
        public var source: String
        public var interactionID: String
        public var leg: Int
        public var cell: String
        public var bits: UInt64
        public var inclusionProbability: Double
        public var selected: Bool
        public var reason: String

        public var id: String { "\(source)|\(interactionID)|\(leg)" }
    }

    public var id: Int64
    public var kind: String
    public var planName: String
    public var from: LocalDate
    public var to: LocalDate
    public var timeZone: String
    public var planFingerprint: String
    public var seed: String
    public var frameFingerprint: String
    public var manifest: String
    public var units: [Unit]
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

    /// The handled legs of a period's contacts, with what sampling filters on, in a stable order.
    ///
    /// A leg counts as already evaluated when it has an evaluation and no recorded sample of the same
    /// period (routine or spot) selected it: evaluations that a sample of the period caused never change
    /// its frame, so `sample verify` still re-derives it.
    public func frameCandidates(_ period: Period) throws -> [FrameUnit] {
        try read { db in
            var units: [FrameUnit] = []
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT l.source, l.interaction_id, l.leg, l.agent_id, l.team, c.channel, COALESCE(l.queue, c.queue), c.direction,
                       c.contact_reason, c.arrived_at, l.recording_ref,
                       COALESCE(l.talk_s, 0) + COALESCE(l.hold_s, 0) + COALESCE(l.acw_s, 0), c.monitoring_notice,
                       r.acknowledged_on IS NOT NULL AND r.acknowledged_on <= ?,
                       EXISTS (SELECT 1 FROM evaluations e WHERE e.source = l.source AND e.interaction_id = l.interaction_id AND e.leg = l.leg)
                       AND NOT EXISTS (SELECT 1 FROM sample_units u JOIN samples s ON s.id = u.sample_id
                                       WHERE u.source = l.source AND u.interaction_id = l.interaction_id AND u.leg = l.leg AND u.selected = 1
                                         AND s.period_from = ? AND s.period_to = ?)
                FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id
                LEFT JOIN roster r ON r.agent_id = l.agent_id
                WHERE c.arrived_at >= ? AND c.arrived_at < ? AND c.abandoned = 0
                ORDER BY l.source, l.interaction_id, l.leg
                """, arguments: [period.to.description, period.from.description, period.to.description, period.fromUTC, period.toUTC])
            while let row = try cursor.next() {
                let notice: Int? = row[12]
                units.append(FrameUnit(source: row[0], interactionID: row[1], leg: row[2], agent: row[3], team: row[4], channel: row[5],
                                       queue: row[6], direction: row[7], reason: row[8], arrivedAt: row[9], recordingRef: row[10],
                                       handleSeconds: row[11], monitoringNotice: notice.map { $0 != 0 }, agentAcknowledged: row[13],
                                       evaluated: row[14]))
            }
            return units
        }
    }

    /// The latest sample of a kind recorded for a plan and period, unless superseded.
    public func recordedSample(planName: String, from: LocalDate, to: LocalDate, kind: String = "routine") throws -> RecordedSample? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, kind, plan_name, period_from, period_to, timezone, plan_fingerprint, seed, frame_fingerprint, manifest
                FROM samples WHERE plan_name = ? AND period_from = ? AND period_to = ? AND kind = ? AND superseded_by IS NULL
                ORDER BY id DESC LIMIT 1
                """, arguments: [planName, from.description, to.description, kind]) else { return nil }
            return try SQLiteStore.recorded(db, row)
        }
    }

    /// Every spot check recorded for a period.
    public func spotUnits(from: LocalDate, to: LocalDate) throws -> [RecordedSample.Unit] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT u.source, u.interaction_id, u.leg, u.cell, u.u_bits, u.inclusion_probability, u.selected, u.reason
                FROM sample_units u JOIN samples s ON s.id = u.sample_id
                WHERE s.kind = 'spot' AND s.period_from = ? AND s.period_to = ? AND u.selected = 1
                ORDER BY s.id, u.cell, u.u_bits
                """, arguments: [from.description, to.description]).map(SQLiteStore.unit)
        }
    }

    private static func recorded(_ db: Database, _ row: Row) throws -> RecordedSample {
        let id: Int64 = row["id"]
        let units = try Row.fetchAll(db, sql: """
            SELECT source, interaction_id, leg, cell, u_bits, inclusion_probability, selected, reason
            FROM sample_units WHERE sample_id = ? ORDER BY source, interaction_id, leg
            """, arguments: [id]).map(SQLiteStore.unit)
        return RecordedSample(id: id, kind: row["kind"], planName: row["plan_name"], from: LocalDate(iso: row["period_from"] as String)!,
                              to: LocalDate(iso: row["period_to"] as String)!, timeZone: row["timezone"], planFingerprint: row["plan_fingerprint"],
                              seed: row["seed"], frameFingerprint: row["frame_fingerprint"], manifest: row["manifest"], units: units)
    }

    private static func unit(_ row: Row) -> RecordedSample.Unit {
        RecordedSample.Unit(source: row[0], interactionID: row[1], leg: row[2], cell: row[3], bits: UInt64(bitPattern: row[4]),
                            inclusionProbability: row[5], selected: (row[6] as Int) != 0, reason: row[7])
    }

    /// Records a drawn sample with its whole frame; `supersedes` marks an earlier record as replaced.
    @discardableResult
    public func record(_ manifest: SampleManifest, text: String? = nil, supersedes: Int64? = nil) throws -> Int64 {
        let sample = manifest.sample
        let manifestText = text ?? manifest.text
        // Key order makes the WITHOUT ROWID inserts append-like instead of random.
        let units = sample.units.sorted { ($0.unit.source, $0.unit.interactionID, $0.unit.leg) < ($1.unit.source, $1.unit.interactionID, $1.unit.leg) }
        return try write { db in
            try db.execute(sql: """
                INSERT INTO samples (kind, plan_name, period_from, period_to, timezone, plan_fingerprint, seed, frame_fingerprint, manifest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [manifest.kind, sample.plan.name, manifest.period.from.description, manifest.period.to.description,
                                 manifest.period.clock.identifier, sample.plan.fingerprint, String(sample.plan.seed),
                                 manifest.frameFingerprint, manifestText])
            let id = db.lastInsertedRowID
            let insert = try db.makeStatement(sql: """
                INSERT INTO sample_units (sample_id, source, interaction_id, leg, cell, u_bits, inclusion_probability, selected, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for unit in units {
                try insert.execute(arguments: [id, unit.unit.source, unit.unit.interactionID, unit.unit.leg, unit.cell,
                                               Int64(bitPattern: unit.bits), unit.inclusionProbability, unit.selected ? 1 : 0, manifest.kind])
            }
            if let supersedes { try db.execute(sql: "UPDATE samples SET superseded_by = ? WHERE id = ?", arguments: [id, supersedes]) }
            return id
        }
    }

    /// Loads an agent roster (DESIGN.md §2): `agent_id, display_name, team, start_date, monitoring_acknowledged_on`.
    /// The latest file wins for each agent.
    public func loadRoster(_ path: String) throws -> Int {
        let name = (path as NSString).lastPathComponent
        var rows: [[String?]] = []
        var header: [String] = []
        try CSVReader(path: path).forEachRecord { record in
            let fields = (0..<record.count).map { record.string($0).map { $0.trimmingCharacters(in: .whitespaces) } }
            if header.isEmpty {
                header = fields.map { $0 ?? "" }
                return
            }
            guard fields.count == header.count else {
                throw InputError(file: name, position: record.line, reason: "expected \(header.count) fields as in the header, found \(fields.count)")
            }
            rows.append(fields)
        }
        let columns = ["agent_id", "display_name", "team", "start_date", "monitoring_acknowledged_on"]
        guard let agentIndex = header.firstIndex(of: "agent_id") else {
            throw InputError(file: name, position: 1, field: "agent_id", reason: "a roster needs an agent_id column; it may have \(columns.joined(separator: ", "))")
        }
        let index = columns.map { header.firstIndex(of: $0) }
        for (i, row) in rows.enumerated() {
            guard let agent = row[agentIndex], !agent.isEmpty else {
                throw InputError(file: name, position: i + 2, field: "agent_id", reason: "agent_id is empty")
            }
            for dateColumn in [3, 4] {
                if let j = index[dateColumn], let value = row[j], !value.isEmpty, LocalDate(iso: value) == nil {
                    throw InputError(file: name, position: i + 2, field: columns[dateColumn], reason: "\"\(value)\" is not a date YYYY-MM-DD")
                }
            }
        }
        try write { db in
            for row in rows {
                func value(_ k: Int) -> String? { index[k].flatMap { row[$0] }.flatMap { $0.isEmpty ? nil : $0 } }
                try db.execute(sql: """
                    INSERT INTO roster (agent_id, display_name, team, start_date, acknowledged_on, ingest_id) VALUES (?, ?, ?, ?, ?, 0)
                    ON CONFLICT (agent_id) DO UPDATE SET display_name = excluded.display_name, team = excluded.team,
                        start_date = excluded.start_date, acknowledged_on = excluded.acknowledged_on
                    """, arguments: [value(0), value(1), value(2), value(3), value(4)])
            }
        }
        return rows.count
    }
}
