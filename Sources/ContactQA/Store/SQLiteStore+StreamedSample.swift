import Foundation
import GRDB

extension SQLiteStore {
    /// Draws a plan's sample by reading the frame twice inside one write transaction (`StreamedDraw`) and
    /// records it with its whole frame, holding neither the frame nor its record in memory: each unit's
    /// record waits in a temporary table (on disk beyond SQLite's cache) until the selection is final,
    /// and the frame's fingerprint is read back from there in its sorted order. The transaction also
    /// keeps the two passes on the same data.
    /// - Returns: the manifest (its sample lists the selected units only), its text and the record's id.
    func drawStreamed(_ plan: SamplingPlan, period: Period, supersedes: Int64?) throws -> (SampleManifest, String, Int64) {
        try queue.write { db in
            let frame = try frameQuery(period)
            func forEachUnit(_ body: (FrameUnit) throws -> Void) throws {
                let cursor = try Row.fetchCursor(db, sql: frame.sql, arguments: StatementArguments(frame.arguments.map(\.databaseValue)))
                while let row = try cursor.next() { try body(frame.unit(row.databaseValues.map(SQLiteSession.fieldValue))) }
            }
            var draw = StreamedDraw(plan: plan)
            try forEachUnit { draw.count($0) }
            try draw.planCells()

            try db.execute(sql: """
                CREATE TEMP TABLE IF NOT EXISTS sample_frame (
                    source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg INTEGER NOT NULL, cell TEXT NOT NULL,
                    u_bits INTEGER NOT NULL, inclusion_probability REAL NOT NULL, selected INTEGER NOT NULL,
                    PRIMARY KEY (source, interaction_id, leg)) WITHOUT ROWID;
                DELETE FROM temp.sample_frame;
                """)
            defer { try? db.execute(sql: "DELETE FROM temp.sample_frame") }
            // A thousand units per statement, as `record` writes them.
            var pending: [DatabaseValue] = []
            func flush() throws {
                guard !pending.isEmpty else { return }
                try db.execute(sql: """
                    INSERT INTO temp.sample_frame (source, interaction_id, leg, cell, u_bits, inclusion_probability, selected)
                    VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: pending.count / 7).joined(separator: ", "))
                    """, arguments: StatementArguments(pending))
                pending.removeAll(keepingCapacity: true)
            }
            try forEachUnit { unit in
                guard let s = draw.draw(unit) else { return }
                pending += [s.unit.source.databaseValue, s.unit.interactionID.databaseValue, s.unit.leg.databaseValue, s.cell.databaseValue,
                            Int64(bitPattern: s.bits).databaseValue, s.inclusionProbability.databaseValue, (s.selected ? 1 : 0).databaseValue]
                if pending.count >= 7_000 { try flush() }
            }
            try flush()
            let drawn = draw.finish()
            let mark = try db.makeStatement(sql: "UPDATE temp.sample_frame SET selected = 1 WHERE source = ? AND interaction_id = ? AND leg = ?")
            for unit in drawn.units { try mark.execute(arguments: [unit.unit.source, unit.unit.interactionID, unit.unit.leg]) }

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
                SELECT ?, source, interaction_id, leg, cell, u_bits, inclusion_probability, selected, ?
                FROM temp.sample_frame ORDER BY source, interaction_id, leg
                """, arguments: [id, manifest.kind])
            if let supersedes { try db.execute(sql: "UPDATE samples SET superseded_by = ? WHERE id = ?", arguments: [id, supersedes]) }
            return (manifest, text, id)
        }
    }
}
