import Foundation
import GRDB

extension SQLiteStore {
    static func registerQualityMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5: scorecards and evaluations") { db in
            try db.execute(sql: """
                CREATE TABLE scorecards (id TEXT NOT NULL, version INTEGER NOT NULL, fingerprint TEXT NOT NULL, definition TEXT NOT NULL,
                    PRIMARY KEY (id, version)) WITHOUT ROWID;
                CREATE TABLE evaluations (
                    evaluation_id TEXT PRIMARY KEY, source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg INTEGER NOT NULL,
                    agent_id TEXT, evaluator_id TEXT NOT NULL, evaluated_at TEXT NOT NULL, scorecard_id TEXT NOT NULL,
                    scorecard_version INTEGER NOT NULL, calibration_session TEXT, score REAL, critical_failed INTEGER NOT NULL,
                    fingerprint TEXT NOT NULL) WITHOUT ROWID;
                CREATE INDEX evaluations_leg ON evaluations(source, interaction_id, leg);
                CREATE TABLE evaluation_answers (evaluation_id TEXT NOT NULL, criterion_id TEXT NOT NULL, rating REAL, comment TEXT,
                    PRIMARY KEY (evaluation_id, criterion_id)) WITHOUT ROWID;
                """)
        }
    }

}

extension SQLStore {
    /// Registers a scorecard version; the same version again must be identical (versions are immutable).
    /// - Returns: false when that exact version was registered already.
    @discardableResult
    package func register(_ scorecard: Scorecard, definition: String) throws -> Bool {
        try transaction { db in
            if let stored = try db.query("SELECT fingerprint FROM scorecards WHERE id = ? AND version = ?",
                                         [.text(scorecard.id), .integer(Int64(scorecard.version))]).first?.first?.string {
                guard stored == scorecard.fingerprint else {
                    throw ConfigError(file: scorecard.id, line: nil, path: "version",
                                      reason: "scorecard \(scorecard.id) version \(scorecard.version) is registered already with other criteria; versions are immutable: give the changed scorecard a new version")
                }
                return false
            }
            try db.execute("INSERT INTO scorecards (id, version, fingerprint, definition) VALUES (?, ?, ?, ?)",
                           [.text(scorecard.id), .integer(Int64(scorecard.version)), .text(scorecard.fingerprint), .text(definition)])
            return true
        }
    }

    /// Every registered scorecard version.
    package func scorecards() throws -> [String: Scorecard] {
        var result: [String: Scorecard] = [:]
        for row in try query("SELECT id, version, definition FROM scorecards") {
            let card = try Scorecard.parse(yaml: row[2].string ?? "", file: "\(row[0].string ?? "") v\(row[1].int ?? 0)")
            result[card.key] = card
        }
        return result
    }
}
