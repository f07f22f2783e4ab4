import Crypto
import Foundation

/// What a week's hidden `.status` file records: draft or final, the date of the run that wrote it,
/// and which evaluations the report carried — so that evaluations arriving after a final report can
/// revise it, and later runs can tell.
///
/// ```
/// final
/// written: 2026-12-01
/// evaluations: 13 9f2c…      (count, SHA-256 of the evaluation ids and their fingerprints)
/// qa_score: 70.3288317962
/// revision: 2026-12-08 13 98 70.3288317962 61.4 2026-12-01 0
/// ```
struct ReportStatus: Sendable, Equatable {
    package var final: Bool
    package var written: LocalDate?
    package var evaluations: Int?
    var fingerprint: String?
    var qaScore: Double?
    var revisions: [WeeklyReport.Revision] = []
    /// When the report (as it now stands) was mailed (`report.mail`).
    var mailed: LocalDate?

    package init(final: Bool) { self.final = final }

    /// Reads a folder's `.status`; nil when there is none.
    package init?(folder: String) {
        guard let text = try? String(contentsOfFile: folder + "/.status", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map(String.init)
        final = lines.first?.hasPrefix("final") ?? false
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ").map(String.init)
            switch parts.first {
            case "written:": written = parts.count > 1 ? LocalDate(iso: parts[1]) : nil
            case "evaluations:" where parts.count == 3:
                evaluations = Int(parts[1])
                fingerprint = parts[2]
            case "qa_score:": qaScore = parts.count > 1 ? Double(parts[1]) : nil
            case "mailed:": mailed = parts.count > 1 ? LocalDate(iso: parts[1]) : nil
            case "revision:" where parts.count == 8:
                guard let date = LocalDate(iso: parts[1]), let before = Int(parts[2]), let after = Int(parts[3]),
                      let previous = LocalDate(iso: parts[6]) else { continue }
                var revision = WeeklyReport.Revision(date: date, evaluationsBefore: before, evaluationsAfter: after,
                                                     qaBefore: Double(parts[4]), qaAfter: Double(parts[5]), previous: previous)
                revision.kpisChanged = parts[7] == "1"
                revisions.append(revision)
            default: continue
            }
        }
    }

    package var text: String {
        var lines = [final ? "final" : "draft"]
        if let written { lines.append("written: \(written)") }
        if let evaluations, let fingerprint { lines.append("evaluations: \(evaluations) \(fingerprint)") }
        if let qaScore { lines.append("qa_score: \(qaScore)") }
        for r in revisions {
            lines.append("revision: \(r.date) \(r.evaluationsBefore) \(r.evaluationsAfter) \(r.qaBefore.map { "\($0)" } ?? "-") \(r.qaAfter.map { "\($0)" } ?? "-") \(r.previous) \(r.kpisChanged ? 1 : 0)")
        }
        if let mailed { lines.append("mailed: \(mailed)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The count and fingerprint of the evaluations of a period's contacts.
    package static func evaluations(store: any SQLStore, period: Period) throws -> (count: Int, fingerprint: String) {
        try store.evaluationFingerprint(period)
    }
}
