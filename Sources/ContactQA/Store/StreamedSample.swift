import Foundation

extension SQLStore {
    /// Draws a plan's sample from its frame read once inside one transaction (`StreamedDraw`) and
    /// records it with its whole frame, holding neither in memory: each unit's record waits in a
    /// temporary table (on disk beyond the database's cache), where each fixed-size cell's units of
    /// smallest u are found through an index once the design is known, and the frame's fingerprint is
    /// read back in its sorted order. Both backends run it; on PostgreSQL the transaction reads one
    /// snapshot throughout (repeatable read), as SQLite's write transaction does.
    /// - Returns: the manifest (its sample lists the selected units only), its text and the record's id.
    func drawStreamed(_ plan: SamplingPlan, period: Period, supersedes: Int64?) throws -> (SampleManifest, String, Int64) {
        let dialect = self.dialect
        return try transaction { db in
            if dialect == .postgres { try db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", []) }
            for statement in [
                """
                CREATE TEMP TABLE IF NOT EXISTS sample_frame (
                    source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg INTEGER NOT NULL, cell TEXT NOT NULL,
                    u_bits BIGINT NOT NULL, u_order BIGINT NOT NULL, inclusion_probability \(dialect.double) NOT NULL, selected INTEGER NOT NULL,
                    PRIMARY KEY (source, interaction_id, leg))\(dialect.withoutRowID)
                """,
                "CREATE TEMP TABLE IF NOT EXISTS sample_cells (cell TEXT PRIMARY KEY, inclusion_probability \(dialect.double) NOT NULL)\(dialect.withoutRowID)",
                "DROP INDEX IF EXISTS sample_frame_cell",
                "DELETE FROM sample_frame",
                "DELETE FROM sample_cells",
            ] { try db.execute(statement, []) }
            func forEachUnit(_ query: (sql: String, arguments: [FieldValue], unit: ([FieldValue]) -> FrameUnit), _ body: (FrameUnit) throws -> Void) throws {
                try db.forEachRow(query.sql, query.arguments) { try body(query.unit($0)) }
            }

            // The frame passes once; a thousand units per statement into the temporary table.
            var draw = StreamedDraw(plan: plan)
            var pending: [FieldValue] = []
            func flush() throws {
                guard !pending.isEmpty else { return }
                try db.execute("""
                    INSERT INTO sample_frame (source, interaction_id, leg, cell, u_bits, u_order, inclusion_probability, selected)
                    VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: pending.count / 8).joined(separator: ", "))
                    """, pending)
                pending.removeAll(keepingCapacity: true)
            }
            try forEachUnit(try frameQuery(period)) { unit in
                guard let s = draw.add(unit) else { return }
                // u_order sorts as the unsigned bits do: the sign bit flipped.
                pending += [.text(s.unit.source), .text(s.unit.interactionID), .integer(Int64(s.unit.leg)), .text(s.cell),
                            .integer(Int64(bitPattern: s.bits)), .integer(Int64(bitPattern: s.bits ^ (1 << 63))),
                            .real(s.inclusionProbability), .integer(s.selected ? 1 : 0)]
                if pending.count >= 8_000 { try flush() }
            }
            try flush()

            // The design; each fixed-size cell takes its units of smallest u (then source, id, leg: ties,
            // in the order of their bytes as the draw in memory breaks them).
            let cells = try draw.planCells()
            try db.execute("CREATE INDEX sample_frame_cell ON sample_frame(cell, u_order, source\(dialect.byBytes), interaction_id\(dialect.byBytes), leg)", [])
            for cell in cells {
                try db.execute("INSERT INTO sample_cells (cell, inclusion_probability) VALUES (?, ?)", [.text(cell.label), .real(cell.inclusionProbability)])
                if case .rate = plan.size { continue }
                if cell.size > 0 {
                    try db.execute("""
                        UPDATE sample_frame SET selected = 1
                        WHERE (source, interaction_id, leg) IN (SELECT source, interaction_id, leg FROM sample_frame WHERE cell = ?
                                                                ORDER BY u_order, source\(dialect.byBytes), interaction_id\(dialect.byBytes), leg LIMIT ?)
                        """, [.text(cell.label), .integer(Int64(cell.size))])
                }
            }
            var selected: [FrameUnit] = []
            try forEachUnit(try frameQuery(period, only: "SELECT source, interaction_id, leg FROM sample_frame WHERE selected = 1")) { selected.append($0) }
            let drawn = draw.finish(selected: selected)

            // The fingerprint: SHA-256 of the lines `id|cell` in the order of their UTF-8 bytes.
            var lines = SHA256Lines()
            try db.forEachRow("""
                SELECT line FROM (SELECT source || '|' || interaction_id || '|' || leg || '|' || cell || \(dialect.lineFeed) AS line FROM sample_frame) f
                ORDER BY line\(dialect.byBytes)
                """, []) { lines.add($0[0].string ?? "") }
            let manifest = SampleManifest(sample: drawn, period: period, store: location, frameFingerprint: lines.hex)
            let text = manifest.text

            let id = try db.query("""
                INSERT INTO samples (kind, plan_name, period_from, period_to, timezone, plan_fingerprint, seed, frame_fingerprint, manifest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [.text(manifest.kind), .text(plan.name), .text(period.from.description), .text(period.to.description), .text(period.clock.identifier),
                      .text(plan.fingerprint), .text(String(plan.seed)), .text(manifest.frameFingerprint), .text(text)]).first?.first?.int64 ?? 0
            try db.execute("""
                INSERT INTO sample_units (sample_id, source, interaction_id, leg, cell, u_bits, inclusion_probability, selected, reason)
                SELECT ?, f.source, f.interaction_id, f.leg, f.cell, f.u_bits, c.inclusion_probability, f.selected, ?
                FROM sample_frame f JOIN sample_cells c ON c.cell = f.cell
                ORDER BY f.source, f.interaction_id, f.leg
                """, [.integer(id), .text(manifest.kind)])
            if let supersedes { try db.execute("UPDATE samples SET superseded_by = ? WHERE id = ?", [.integer(id), .integer(supersedes)]) }
            try db.execute("DELETE FROM sample_frame", [])
            try db.execute("DELETE FROM sample_cells", [])
            return (manifest, text, id)
        }
    }
}
