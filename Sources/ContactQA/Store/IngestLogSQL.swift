/// The ingest log in the SQL both backends share: written inside a file's transaction through its
/// session, read through the store.
enum IngestLogSQL {
    static let columns = ["file", "sha256", "source", "status", "started_at", "rows_read", "inserted", "updated", "unchanged",
                          "stale", "pending", "duplicates", "rejected", "duration_ms", "message"]

    static func values(_ e: IngestLogEntry) -> [FieldValue] {
        [.text(e.file), .text(e.sha256), .text(e.source), .text(e.status.rawValue), .text(e.startedAt), FieldValue(e.rowsRead),
         FieldValue(e.inserted), FieldValue(e.updated), FieldValue(e.unchanged), FieldValue(e.stale), FieldValue(e.pending),
         FieldValue(e.duplicates), FieldValue(e.rejected), FieldValue(e.durationMilliseconds), FieldValue(e.message)]
    }
}

extension SQLSession {
    /// - Returns: the new log entry's id.
    func insertLog(_ entry: IngestLogEntry) throws -> Int64 {
        let placeholders = Array(repeating: "?", count: IngestLogSQL.columns.count).joined(separator: ", ")
        return try query("INSERT INTO ingest_log (\(IngestLogSQL.columns.joined(separator: ", "))) VALUES (\(placeholders)) RETURNING id",
                         IngestLogSQL.values(entry)).first?.first?.int64 ?? 0
    }

    func updateLog(_ entry: IngestLogEntry) throws {
        try execute("UPDATE ingest_log SET \(IngestLogSQL.columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                    IngestLogSQL.values(entry) + [FieldValue(entry.id)])
    }
}

extension SQLStore {
    public func logFailure(_ entry: IngestLogEntry) throws { _ = try transaction { try $0.insertLog(entry) } }

    public func hasLoaded(sha256: String) throws -> Bool {
        try query("SELECT COUNT(*) FROM ingest_log WHERE sha256 = ? AND status = 'loaded'", [.text(sha256)]).first?.first?.int ?? 0 > 0
    }

    public func latestArrivalDate() throws -> LocalDate? {
        try query("SELECT MAX(arrived_at) FROM contacts").first?.first?.int64.map {
            (ZoneClock(identifier: siteTimeZone) ?? .utc).localDate(atUTC: $0 / 1000)
        }
    }

    public func ingestLog() throws -> [IngestLogEntry] {
        try query("SELECT id, \(IngestLogSQL.columns.joined(separator: ", ")) FROM ingest_log ORDER BY id").map { r in
            var e = IngestLogEntry(file: r[1].string ?? "", sha256: r[2].string ?? "", source: r[3].string ?? "",
                                   status: IngestLogEntry.Status(rawValue: r[4].string ?? "") ?? .failed, startedAt: r[5].string ?? "")
            e.id = r[0].int64
            e.rowsRead = r[6].int ?? 0
            e.inserted = r[7].int ?? 0
            e.updated = r[8].int ?? 0
            e.unchanged = r[9].int ?? 0
            e.stale = r[10].int ?? 0
            e.pending = r[11].int ?? 0
            e.duplicates = r[12].int ?? 0
            e.rejected = r[13].int ?? 0
            e.durationMilliseconds = r[14].int ?? 0
            e.message = r[15].string
            return e
        }
    }
}
