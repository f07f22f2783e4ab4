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
            var draw = try passFrame(db, plan: plan, period: period)
            try takeCells(db, &draw)
            var selected: [FrameUnit] = []
            let query = try frameQuery(period, only: "SELECT source, interaction_id, leg FROM sample_frame WHERE selected = 1")
            try db.forEachRow(query.sql, query.arguments) { selected.append(query.unit($0)) }
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

    /// `sample verify` without holding the frame: the plan's draw is made again as `drawStreamed` makes
    /// it (into the temporary table, nothing recorded), and compared with the recorded frame unit by
    /// unit inside the store; only the units that differ come back. It writes temporary tables only, so
    /// on SQLite it runs without the write lock: a load in progress neither waits for it nor makes it wait.
    /// - Returns: what differs, in the order of the units' ids (as the comparison in memory lists it).
    func verifyStreamed(_ plan: SamplingPlan, period: Period, recordedID: Int64) throws -> [String] {
        try scratchTransaction { db in
            var draw = try passFrame(db, plan: plan, period: period)
            // An empty frame now: every recorded unit is a deleted row (nothing to design).
            if draw.frameSize > 0 { try takeCells(db, &draw) }
            var found: [(id: String, messages: [String])] = []
            func add(_ source: FieldValue, _ interactionID: FieldValue, _ leg: FieldValue, then: SampleUnitFate?, now: SampleUnitFate?) {
                let id = "\(source.string ?? "")|\(interactionID.string ?? "")|\(leg.int ?? 0)"
                let messages = SampleUnitFate.differences(id: id, then: then, now: now)
                if !messages.isEmpty { found.append((id, messages)) }
            }
            func fate(_ row: [FieldValue], _ at: Int) -> SampleUnitFate {
                SampleUnitFate(cell: row[at].string ?? "", bits: UInt64(bitPattern: row[at + 1].int64 ?? 0),
                               inclusionProbability: row[at + 2].double ?? 0, selected: row[at + 3].bool ?? false)
            }
            // The frame now, with its record where there is one: only rows that differ.
            try db.forEachRow("""
                SELECT f.source, f.interaction_id, f.leg, f.cell, f.u_bits, c.inclusion_probability, f.selected,
                       u.cell, u.u_bits, u.inclusion_probability, u.selected
                FROM sample_frame f JOIN sample_cells c ON c.cell = f.cell
                LEFT JOIN sample_units u ON u.sample_id = ? AND u.source = f.source AND u.interaction_id = f.interaction_id AND u.leg = f.leg
                WHERE u.sample_id IS NULL OR u.cell <> f.cell OR u.u_bits <> f.u_bits
                   OR u.inclusion_probability <> c.inclusion_probability OR u.selected <> f.selected
                """, [.integer(recordedID)]) { row in
                add(row[0], row[1], row[2], then: row[7] == .null ? nil : fate(row, 7), now: fate(row, 3))
            }
            // The recorded units the frame no longer holds.
            try db.forEachRow("""
                SELECT u.source, u.interaction_id, u.leg, u.cell, u.u_bits, u.inclusion_probability, u.selected
                FROM sample_units u
                WHERE u.sample_id = ?
                  AND NOT EXISTS (SELECT 1 FROM sample_frame f WHERE f.source = u.source AND f.interaction_id = u.interaction_id AND f.leg = u.leg)
                """, [.integer(recordedID)]) { row in
                add(row[0], row[1], row[2], then: fate(row, 3), now: nil)
            }
            try db.execute("DELETE FROM sample_frame", [])
            try db.execute("DELETE FROM sample_cells", [])
            // Sorted stably: each unit's own messages stay in their order.
            return found.sorted { $0.id < $1.id }.flatMap(\.messages)
        }
    }

    /// Passes the period's frame once, inside the session's transaction: each unit's record goes into
    /// the temporary table `sample_frame`, its cell's count into the returned draw. On PostgreSQL the
    /// transaction is made to read one snapshot throughout (repeatable read), as any SQLite
    /// transaction does.
    private func passFrame(_ db: any SQLSession, plan: SamplingPlan, period: Period) throws -> StreamedDraw {
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
        let query = try frameQuery(period)
        try db.forEachRow(query.sql, query.arguments) { row in
            guard let s = draw.add(query.unit(row)) else { return }
            // u_order sorts as the unsigned bits do: the sign bit flipped.
            pending += [.text(s.unit.source), .text(s.unit.interactionID), .integer(Int64(s.unit.leg)), .text(s.cell),
                        .integer(Int64(bitPattern: s.bits)), .integer(Int64(bitPattern: s.bits ^ (1 << 63))),
                        .real(s.inclusionProbability), .integer(s.selected ? 1 : 0)]
            if pending.count >= 8_000 { try flush() }
        }
        try flush()
        return draw
    }

    /// Fixes the design from the frame's counts (`sample_cells`) and marks each fixed-size cell's units
    /// of smallest u (then source, id, leg: ties, in the order of their bytes as the draw in memory
    /// breaks them) as selected.
    private func takeCells(_ db: any SQLSession, _ draw: inout StreamedDraw) throws {
        let cells = try draw.planCells()
        try db.execute("CREATE INDEX sample_frame_cell ON sample_frame(cell, u_order, source\(dialect.byBytes), interaction_id\(dialect.byBytes), leg)", [])
        for cell in cells {
            try db.execute("INSERT INTO sample_cells (cell, inclusion_probability) VALUES (?, ?)", [.text(cell.label), .real(cell.inclusionProbability)])
            if case .rate = draw.plan.size { continue }
            if cell.size > 0 {
                try db.execute("""
                    UPDATE sample_frame SET selected = 1
                    WHERE (source, interaction_id, leg) IN (SELECT source, interaction_id, leg FROM sample_frame WHERE cell = ?
                                                            ORDER BY u_order, source\(dialect.byBytes), interaction_id\(dialect.byBytes), leg LIMIT ?)
                    """, [.text(cell.label), .integer(Int64(cell.size))])
            }
        }
    }
}
