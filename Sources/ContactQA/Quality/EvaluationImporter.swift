import Crypto
import Foundation

/// Imports QA evaluations in the long form of DESIGN.md §2 (one row per answer): evaluation_id,
/// interaction_id, leg, agent_id, evaluator_id, evaluated_at, scorecard_id, scorecard_version,
/// criterion_id, rating (number, yes/no, NA), comment, calibration_session; `source` optionally.
///
/// An evaluation is checked as a whole against its scorecard version and quarantined with the line of
/// its first row and every reason; comments are stored with PII redacted. Evaluation files are small:
/// their rows are grouped by evaluation in memory.
package struct EvaluationImporter {
    package var quarantineDirectory: String
    var rejectionThreshold = 0.01

    package init(quarantineDirectory: String) { self.quarantineDirectory = quarantineDirectory }

    static let columns = ["evaluation_id", "interaction_id", "leg", "agent_id", "evaluator_id", "evaluated_at", "scorecard_id",
                          "scorecard_version", "criterion_id", "rating", "comment", "calibration_session", "source", "re_evaluates"]
    static let required = ["evaluation_id", "interaction_id", "evaluator_id", "evaluated_at", "scorecard_id", "scorecard_version", "criterion_id", "rating"]

    package func importFile(_ path: String, into store: any SQLStore) throws -> FileImportReport {
        let name = (path as NSString).lastPathComponent
        var header: [String] = []
        var groups: [String: [(line: Int, fields: [String: String])]] = [:]
        var order: [String] = []
        var entry = IngestLogEntry(file: name, sha256: IngestService.sha256(of: path) ?? "", source: "evaluations",
                                   startedAt: ISO8601DateFormatter().string(from: Date()))
        var rowErrors: [InputError] = []
        var spoiled: Set<String> = []
        var listed: Set<String> = []
        do {
            try CSVReader(path: path).forEachRecord { record in
                let decoded = (0..<record.count).map { record.string($0)?.trimmingCharacters(in: .whitespaces) }
                if let bad = decoded.firstIndex(where: { $0 == nil }) {
                    let column = header.isEmpty ? nil : (bad < header.count ? header[bad] : "field \(bad + 1)")
                    let problem = InputError(file: name, position: record.line, field: column,
                                             reason: "this field is not valid UTF-8 text; save the file as UTF-8")
                    if header.isEmpty { throw problem }
                    // The whole evaluation goes to quarantine with this row, never a part of it.
                    if let idColumn = header.firstIndex(of: "evaluation_id"), idColumn < decoded.count, let id = decoded[idColumn] { spoiled.insert(id) }
                    rowErrors.append(problem)
                    return
                }
                let fields = decoded.map { $0! }
                if header.isEmpty {
                    header = fields
                    // Wide form: no criterion_id/rating columns; every other column named like a criterion is its rating.
                    let wide = !header.contains("criterion_id") && !header.contains("rating")
                    for column in EvaluationImporter.required where !header.contains(column) && !(wide && (column == "criterion_id" || column == "rating")) {
                        throw InputError(file: name, position: record.line, field: column,
                                         reason: "the evaluations file needs a \(column) column; it has \(header.joined(separator: ", "))")
                    }
                    return
                }
                guard fields.count == header.count else {
                    rowErrors.append(InputError(file: name, position: record.line, reason: "expected \(header.count) fields, found \(fields.count) (ragged row)"))
                    return
                }
                let row = Dictionary(header.enumerated().map { ($1, fields[$0]) }, uniquingKeysWith: { a, _ in a })
                let id = row["evaluation_id"] ?? ""
                if !listed.contains(id) { listed.insert(id); order.append(id) }
                if header.contains("criterion_id") {
                    groups[id, default: []].append((record.line, row))
                } else {
                    // One answer row per criterion column (and its optional `<criterion>_comment`).
                    for column in header where !EvaluationImporter.columns.contains(column) && !column.hasSuffix("_comment") {
                        var answer = row
                        answer["criterion_id"] = column
                        answer["rating"] = row[column] ?? ""
                        answer["comment"] = row[column + "_comment"] ?? row["comment"] ?? ""
                        groups[id, default: []].append((record.line, answer))
                    }
                }
            }
        } catch let error as InputError {
            entry.fail(error)
            try store.logFailure(entry)
            return FileImportReport(outcome: .failed(error), log: entry, quarantinePath: nil, sampleRejections: [], warnings: [])
        }
        let cards = try store.scorecards()
        var rejections = rowErrors
        var accepted: [Evaluation] = []
        for id in order where !spoiled.contains(id) {
            guard let rows = groups[id] else {
                // A wide file whose only columns are the evaluation's own: no criterion was rated.
                rejections.append(InputError(file: name, field: "evaluation_id",
                                             reason: "evaluation \(id) rates no criterion: a wide file needs a column named after each criterion"))
                continue
            }
            do { accepted.append(try validate(id, rows, cards: cards, store: store, file: name)) } catch let error as InputError { rejections.append(error) }
        }
        entry.rowsRead = order.count + rowErrors.count
        entry.rejected = rejections.count
        var quarantinePath: String?
        if !rejections.isEmpty {
            let q = QuarantineFile(directory: quarantineDirectory, name: "evaluations-\(name)")
            for r in rejections { try q.append(r, rawText: "") }
            try q.close()
            quarantinePath = q.path
        }
        if entry.exceedsRejectionThreshold(rejectionThreshold, unit: "evaluations") {
            try store.logFailure(entry)
            return FileImportReport(outcome: .rejectedOverThreshold, log: entry, quarantinePath: quarantinePath, sampleRejections: Array(rejections.prefix(5)), warnings: [])
        }
        // An id stored already: identical is a re-import (unchanged), different is a duplicate (quarantined).
        var fresh: [Evaluation] = []
        for e in accepted {
            let stored = try store.evaluationFingerprint(id: e.id)
            if stored == nil { fresh.append(e); continue }
            if stored == e.fingerprint { entry.unchanged += 1; continue }
            let error = InputError(file: name, position: groups[e.id]?.first?.line, field: "evaluation_id",
                                   reason: "evaluation \(e.id): the id is stored already with other answers; evaluation ids are never reused")
            rejections.append(error)
            entry.rejected += 1
        }
        if !rejections.isEmpty, quarantinePath == nil || entry.rejected > rejections.count - rowErrors.count {
            let q = QuarantineFile(directory: quarantineDirectory, name: "evaluations-\(name)")
            for r in rejections { try q.append(r, rawText: "") }
            try q.close()
            quarantinePath = q.path
        }
        entry.inserted = fresh.count
        try store.insertEvaluations(fresh, log: entry)
        return FileImportReport(outcome: .loaded, log: entry, quarantinePath: quarantinePath, sampleRejections: Array(rejections.prefix(5)), warnings: [])
    }

    struct Evaluation {
        var id, source, interactionID: String
        var leg: Int
        var agent: String?
        var evaluator, evaluatedAt: String
        var scorecard: Scorecard
        var calibrationSession: String?
        /// The disputed evaluation this one re-evaluates (and replaces in estimates).
        var reEvaluates: String?
        var answers: [String: (rating: Double?, comment: String?)]
        var score: Double?
        var criticalFailed: Bool
        var fingerprint: String
    }

    private func validate(_ id: String, _ rows: [(line: Int, fields: [String: String])], cards: [String: Scorecard], store: any SQLStore, file: String) throws -> Evaluation {
        let line = rows[0].line
        func fail(_ field: String?, _ reason: String) -> InputError {
            InputError(file: file, position: line, field: field, reason: "evaluation \(id.isEmpty ? "(no id)" : id): \(reason)")
        }
        guard !id.isEmpty else { throw fail("evaluation_id", "evaluation_id is empty") }
        let first = rows[0].fields
        for column in ["interaction_id", "evaluator_id", "scorecard_id", "scorecard_version", "evaluated_at"] {
            for row in rows where row.fields[column] != first[column] {
                throw InputError(file: file, position: row.line, field: column, reason: "evaluation \(id): rows of one evaluation disagree on \(column)")
            }
        }
        guard let version = Int(first["scorecard_version"] ?? ""), let card = cards[Scorecard.key(first["scorecard_id"] ?? "", version)] else {
            throw fail("scorecard_version", "scorecard \(first["scorecard_id"] ?? "") version \(first["scorecard_version"] ?? "") is not registered (contactqa ingest --source scorecard FILE)")
        }
        guard LocalDate(iso: String((first["evaluated_at"] ?? "").prefix(10))) != nil else {
            throw fail("evaluated_at", "cannot read \"\(first["evaluated_at"] ?? "")\" as a date (YYYY-MM-DD…)")
        }
        let interaction = first["interaction_id"] ?? ""
        let leg = Int(first["leg"] ?? "") ?? 1
        let sourceFilter = first["source"].flatMap { $0.isEmpty ? nil : $0 }
        let matches = try store.legs(interaction: interaction, leg: leg, source: sourceFilter)
        guard matches.count == 1, let source = matches[0].source else {
            throw fail("interaction_id", matches.isEmpty ? "no handled leg \(leg) of interaction \(interaction) in the store (an unknown interaction)"
                       : "interaction \(interaction) exists in several sources; add a source column")
        }
        let agent = first["agent_id"].flatMap { $0.isEmpty ? nil : $0 } ?? matches[0].agent
        let evaluator = first["evaluator_id"] ?? ""
        if let agent, agent == evaluator { throw fail("evaluator_id", "the evaluator \(evaluator) evaluated their own contact") }
        // A re-evaluation answers a dispute: of the same leg, by someone other than the first evaluator.
        let reEvaluates = first["re_evaluates"].flatMap { $0.isEmpty ? nil : $0 }
        if let reEvaluates {
            guard let disputed = try store.evaluationLeg(id: reEvaluates), try store.isDisputed(reEvaluates) else {
                throw fail("re_evaluates", "\(reEvaluates) is not a disputed evaluation in the store")
            }
            guard disputed.source == source, disputed.interactionID == interaction, disputed.leg == leg else {
                throw fail("re_evaluates", "\(reEvaluates) evaluated another leg (\(disputed.interactionID) leg \(disputed.leg))")
            }
            if let earlier = try store.reEvaluation(of: reEvaluates), earlier != id {
                throw fail("re_evaluates", "\(reEvaluates) was re-evaluated already, by \(earlier)")
            }
            guard disputed.evaluator != evaluator else {
                throw fail("evaluator_id", "a dispute is re-evaluated by someone other than its first evaluator, \(evaluator)")
            }
        }
        var answers: [String: (rating: Double?, comment: String?)] = [:]
        for row in rows {
            let criterionID = row.fields["criterion_id"] ?? ""
            if (row.fields["rating"] ?? "").isEmpty, first["criterion_id"] == nil { continue }
            guard let criterion = card.criterion(criterionID) else {
                throw InputError(file: file, position: row.line, field: "criterion_id", reason: "evaluation \(id): criterion \"\(criterionID)\" is not in scorecard \(card.id) v\(card.version)")
            }
            guard answers[criterionID] == nil else {
                throw InputError(file: file, position: row.line, field: "criterion_id", reason: "evaluation \(id): criterion \(criterionID) rated twice")
            }
            let text = (row.fields["rating"] ?? "").lowercased()
            var rating: Double?
            if text == "na" || text == "n/a" {
                guard criterion.naAllowed else {
                    throw InputError(file: file, position: row.line, field: "rating", reason: "evaluation \(id): \(criterionID) does not allow N/A")
                }
            } else if criterion.yesNo {
                switch text {
                case "yes", "y", "1", "true": rating = 1
                case "no", "n", "0", "false": rating = 0
                default: throw InputError(file: file, position: row.line, field: "rating", reason: "evaluation \(id): \(criterionID) is rated yes or no, not \"\(Redactor.display(text))\"")
                }
            } else {
                guard let value = Double(text), value >= criterion.min, value <= criterion.max else {
                    throw InputError(file: file, position: row.line, field: "rating",
                                     reason: "evaluation \(id): \(criterionID) rating \"\(Redactor.display(text))\" is off its scale \(formatSeconds(criterion.min))–\(formatSeconds(criterion.max))")
                }
                rating = value
            }
            let comment = row.fields["comment"].flatMap { $0.isEmpty ? nil : Redactor.redact($0) }
            answers[criterionID] = (rating, comment)
        }
        let scored = card.score(answers.mapValues { $0.rating })
        let canonical = answers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rating.map { "\($0)" } ?? "NA")|\($0.value.comment ?? "")" }.joined(separator: "\n")
        let fingerprint = hexString(SHA256.hash(data: Data("\(source)|\(interaction)|\(leg)|\(agent ?? "")|\(evaluator)|\(card.id)|\(card.version)\(reEvaluates.map { "|re:\($0)" } ?? "")\n\(canonical)".utf8)))
        return Evaluation(id: id, source: source, interactionID: interaction, leg: leg, agent: agent, evaluator: evaluator,
                          evaluatedAt: first["evaluated_at"] ?? "", scorecard: card,
                          calibrationSession: first["calibration_session"].flatMap { $0.isEmpty ? nil : $0 }, reEvaluates: reEvaluates,
                          answers: answers, score: scored.score, criticalFailed: scored.criticalFailed, fingerprint: fingerprint)
    }
}
