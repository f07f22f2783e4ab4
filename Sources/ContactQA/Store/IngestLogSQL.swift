import Foundation

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
    package func logFailure(_ entry: IngestLogEntry) throws { _ = try transaction { try $0.insertLog(entry) } }

    package func hasLoaded(sha256: String) throws -> Bool {
        try query("SELECT COUNT(*) FROM ingest_log WHERE sha256 = ? AND status = 'loaded'", [.text(sha256)]).first?.first?.int ?? 0 > 0
    }

    package func latestArrivalDate() throws -> LocalDate? {
        try query("SELECT MAX(arrived_at) FROM contacts").first?.first?.int64.map {
            (ZoneClock(identifier: siteTimeZone) ?? .utc).localDate(atUTC: $0 / 1000)
        }
    }

    package func ingestLog() throws -> [IngestLogEntry] {
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

extension SQLiteStore {
    /// Where ingest-log entries wait that could not be written because the store was busy.
    var deferredLogPath: String { path + ".not-loaded.jsonl" }

    /// Keeps `entry` beside the store (one JSON line, owner-only) until ``absorbDeferredLog()`` can
    /// write it; best effort, since it only records a failure that is also on standard error.
    func deferLog(_ entry: IngestLogEntry) {
        let line: [String: String] = ["file": entry.file, "sha256": entry.sha256, "source": entry.source, "status": entry.status.rawValue,
                                      "started_at": entry.startedAt, "message": entry.message ?? ""]
        guard let data = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) else { return }
        let descriptor = POSIX.open(deferredLogPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(data) + [0x0A]
        _ = bytes.withUnsafeBytes { POSIX.writeAll(descriptor, $0) }
    }

    /// Writes the waiting entries into the ingest log in one transaction and removes their file; left
    /// for a later command when the store is busy again.
    func absorbDeferredLog() {
        guard let data = FileManager.default.contents(atPath: deferredLogPath) else { return }
        let entries = data.split(separator: 0x0A).compactMap { line -> IngestLogEntry? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: String], let file = object["file"] else { return nil }
            var entry = IngestLogEntry(file: file, sha256: object["sha256"] ?? "", source: object["source"] ?? "",
                                       status: IngestLogEntry.Status(rawValue: object["status"] ?? "") ?? .failed, startedAt: object["started_at"] ?? "")
            entry.message = object["message"]
            return entry
        }
        do {
            try transaction { session in for entry in entries { _ = try session.insertLog(entry) } }
            try FileManager.default.removeItem(atPath: deferredLogPath)
        } catch {
            return
        }
    }
}
