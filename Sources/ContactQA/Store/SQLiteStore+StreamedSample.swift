import Foundation
import GRDB

extension SQLiteStore {
    /// Draws a plan's sample from its frame read once inside a write transaction (`StreamedDraw`) and
    /// records it with its whole frame, holding neither in memory: each unit's record waits in a
    /// temporary table (on disk beyond SQLite's cache), where each fixed-size cell's units of smallest u
    /// are found through an index once the design is known, and the frame's fingerprint is read back in
    /// its sorted order.
    /// - Returns: the manifest (its sample lists the selected units only), its text and the record's id.
    func drawStreamed(_ plan: SamplingPlan, period: Period, supersedes: Int64?) throws -> (SampleManifest, String, Int64) {
        try queue.write { db in
            try db.execute(sql: """
                CREATE TEMP TABLE IF NOT EXISTS sample_frame (
                    source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg INTEGER NOT NULL, cell TEXT NOT NULL,
                    u_bits INTEGER NOT NULL, u_order INTEGER NOT NULL, inclusion_probability REAL NOT NULL, selected INTEGER NOT NULL,
                    PRIMARY KEY (source, interaction_id, leg)) WITHOUT ROWID;
                CREATE TEMP TABLE IF NOT EXISTS sample_cells (cell TEXT PRIMARY KEY, inclusion_probability REAL NOT NULL) WITHOUT ROWID;
                DROP INDEX IF EXISTS temp.sample_frame_cell;
                DELETE FROM temp.sample_frame;
                DELETE FROM temp.sample_cells;
                """)
            defer { try? db.execute(sql: "DELETE FROM temp.sample_frame; DELETE FROM temp.sample_cells") }
            func forEachUnit(_ query: (sql: String, arguments: [FieldValue], unit: ([FieldValue]) -> FrameUnit), _ body: (FrameUnit) throws -> Void) throws {
                try SQLiteSession(db: db).forEachRow(query.sql, query.arguments) { try body(query.unit($0)) }
            }

            // The frame passes once; a thousand units per statement into the temporary table.
            var draw = StreamedDraw(plan: plan)
            var pending: [DatabaseValue] = []
            func flush() throws {
                guard !pending.isEmpty else { return }
                try db.execute(sql: """
                    INSERT INTO temp.sample_frame (source, interaction_id, leg, cell, u_bits, u_order, inclusion_probability, selected)
                    VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: pending.count / 8).joined(separator: ", "))
                    """, arguments: StatementArguments(pending))
                pending.removeAll(keepingCapacity: true)
            }
            try forEachUnit(try frameQuery(period)) { unit in
                guard let s = draw.add(unit) else { return }
                // u_order sorts as the unsigned bits do: the sign bit flipped.
                pending += [s.unit.source.databaseValue, s.unit.interactionID.databaseValue, s.unit.leg.databaseValue, s.cell.databaseValue,
                            Int64(bitPattern: s.bits).databaseValue, Int64(bitPattern: s.bits ^ (1 << 63)).databaseValue,
                            s.inclusionProbability.databaseValue, (s.selected ? 1 : 0).databaseValue]
                if pending.count >= 8_000 { try flush() }
            }
            try flush()

            // The design; each fixed-size cell takes its units of smallest u (then source, id, leg: ties).
            let cells = try draw.planCells()
            try db.execute(sql: "CREATE INDEX temp.sample_frame_cell ON sample_frame(cell, u_order, source, interaction_id, leg)")
            let addCell = try db.makeStatement(sql: "INSERT INTO temp.sample_cells (cell, inclusion_probability) VALUES (?, ?)")
            let take = try db.makeStatement(sql: """
                UPDATE temp.sample_frame SET selected = 1
                WHERE (source, interaction_id, leg) IN (SELECT source, interaction_id, leg FROM temp.sample_frame WHERE cell = ?
                                                        ORDER BY u_order, source, interaction_id, leg LIMIT ?)
                """)
            for cell in cells {
                try addCell.execute(arguments: [cell.label, cell.inclusionProbability])
                if case .rate = plan.size { continue }
                if cell.size > 0 { try take.execute(arguments: [cell.label, cell.size]) }
            }
            var selected: [FrameUnit] = []
            try forEachUnit(try frameQuery(period, only: "SELECT source, interaction_id, leg FROM temp.sample_frame WHERE selected = 1")) { selected.append($0) }
            let drawn = draw.finish(selected: selected)

            // The fingerprint: SHA-256 of the lines `id|cell` in the order of their UTF-8 bytes (SQLite's BINARY).
            var lines = SHA256Lines()
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT source || '|' || interaction_id || '|' || leg || '|' || cell || char(10) AS line
                FROM temp.sample_frame ORDER BY line
                """)
            while let row = try cursor.next() { lines.add(row[0] as String) }
            let manifest = SampleManifest(sample: drawn, period: period, store: location, frameFingerprint: lines.hex)
            let text = manifest.text

            let id = try Int64.fetchOne(db, sql: """
                INSERT INTO samples (kind, plan_name, period_from, period_to, timezone, plan_fingerprint, seed, frame_fingerprint, manifest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, arguments: [manifest.kind, plan.name, period.from.description, period.to.description, period.clock.identifier,
                                 plan.fingerprint, String(plan.seed), manifest.frameFingerprint, text]) ?? 0
            try db.execute(sql: """
                INSERT INTO sample_units (sample_id, source, interaction_id, leg, cell, u_bits, inclusion_probability, selected, reason)
                SELECT ?, f.source, f.interaction_id, f.leg, f.cell, f.u_bits, c.inclusion_probability, f.selected, ?
                FROM temp.sample_frame f JOIN temp.sample_cells c ON c.cell = f.cell
                ORDER BY f.source, f.interaction_id, f.leg
                """, arguments: [id, manifest.kind])
            if let supersedes { try db.execute(sql: "UPDATE samples SET superseded_by = ? WHERE id = ?", arguments: [id, supersedes]) }
            return (manifest, text, id)
        }
    }
}
