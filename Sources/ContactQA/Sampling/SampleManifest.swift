import Foundation

/// What a drawn sample writes for the QA team (DESIGN.md §4): `sample.csv`, the units to review,
/// and `manifest.json`, everything needed to re-derive and defend the draw. Both are deterministic:
/// no wall-clock time, rows and keys in a fixed order.
package struct SampleManifest: Sendable {
    package var sample: DrawnSample
    package var period: Period
    package var store: String
    var kind: String
    /// Computed once: hashing a million-unit frame is not free.
    let frameFingerprint: String

    /// - Parameter frameFingerprint: given when `sample` holds only the selected units of a streamed frame.
    package init(sample: DrawnSample, period: Period, store: String, kind: String = "routine", frameFingerprint: String? = nil) {
        self.sample = sample
        self.period = period
        self.store = store
        self.kind = kind
        self.frameFingerprint = frameFingerprint ?? sample.frameFingerprint
    }

    static let csvHeader = ["source", "interaction_id", "leg", "agent", "team", "channel", "arrived_at", "recording_ref",
                                   "stratum", "u", "inclusion_probability", "design_weight", "reason"]

    /// `sample.csv`: the selected units, by cell then u.
    package var csv: String {
        var lines = [CSVText.line(SampleManifest.csvHeader)]
        for s in sample.selected {
            let u = s.unit
            lines.append(CSVText.line([u.source, u.interactionID, String(u.leg), u.agent ?? "", u.team ?? "", u.channel,
                                       u.arrivedAt == .min ? "" : isoUTC(u.arrivedAt), u.recordingRef ?? "", s.stratum, "\(s.u)",
                                       "\(s.inclusionProbability)", "\(s.designWeight)", kind]))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `manifest.json`.
    package var json: JSONValue {
        var margin: JSONValue = .null
        if let e = sample.marginOfError {
            var sd: Double?
            if case .mean(_, _, let value) = sample.plan.size { sd = value }
            margin = .object([
                ("confidence", .double(0.95)),
                ("proportion", .double(e.proportion)),
                ("mean_per_sd", .double(e.meanPerSD)),
                ("mean", .number(sd.map { $0 * e.meanPerSD })),
            ])
        }
        return .object([
            ("kind", .string(kind)),
            ("plan", sample.plan.json),
            ("plan_fingerprint", .string(sample.plan.fingerprint)),
            ("seed", .string(String(sample.plan.seed))),
            ("period", .object([("from", .string(period.from.description)), ("to", .string(period.to.description)),
                                ("timezone", .string(period.clock.identifier))])),
            ("store", .string(store)),
            ("frame", .object([
                ("units", .int(sample.frameSize)),
                ("fingerprint", .string(frameFingerprint)),
                ("excluded", .object(ExclusionReason.allCases.map { ($0.rawValue, .int(sample.exclusions[$0] ?? 0)) })),
            ])),
            ("size", .object([("rule", .string(sample.sizeRule)), ("requested", .int(sample.requestedSize)),
                              ("drawn", .int(sample.selected.count))])),
            ("cells", .array(sample.cells.map { cell in
                .object([("cell", .string(cell.label)), ("stratum", .string(cell.stratum)), ("agent", .text(cell.agent)),
                         ("population", .int(cell.population)), ("sample", .int(cell.size)),
                         ("inclusion_probability", .double(cell.inclusionProbability))])
            })),
            ("adjustments", .array(sample.adjustments.map(JSONValue.string))),
            ("margin_of_error", margin),
            ("prn", .string("u = first 8 bytes, big-endian, of SHA-256(\"contactqa-prn-v1|<seed>|<source>|<interaction_id>|<leg>\") / 2^64")),
            ("tool_version", .string("contactqa \(contactQALibraryVersion)")),
        ])
    }

    /// Writes `sample.csv` and `manifest.json` into `directory`, each written beside its place and renamed in.
    package func write(to directory: String, manifestText: String? = nil) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try csv.write(toFile: directory + "/sample.csv", atomically: true, encoding: .utf8)
        try (manifestText ?? text).write(toFile: directory + "/manifest.json", atomically: true, encoding: .utf8)
    }

    /// `manifest.json` as written.
    package var text: String { json.rendered() + "\n" }
}

/// The library's version, recorded in manifests.
let contactQALibraryVersion = "0.1.0"

/// `2026-11-16T09:00:00Z` (with milliseconds when there are any) for UTC milliseconds.
func isoUTC(_ milliseconds: Int64) -> String {
    let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
    let ms = Int(milliseconds - seconds * 1000)
    let date = LocalDate(dayNumber: Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400))
    let r = Int(seconds - Int64(date.dayNumber) * 86_400)
    let fraction = ms == 0 ? "" : "." + pad(ms, 3)
    return "\(date)T\(pad(r / 3600, 2)):\(pad(r / 60 % 60, 2)):\(pad(r % 60, 2))\(fraction)Z"
}
