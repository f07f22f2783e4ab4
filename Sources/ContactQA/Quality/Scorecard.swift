import Crypto
import Foundation

/// A versioned scorecard (DESIGN.md §2): sections of criteria, each with a scale, weight, N/A rule,
/// critical flag, target and the coaching actions that address it. Versions are immutable once registered.
package struct Scorecard: Sendable, Equatable {
    /// How stores and lookups name one version of a scorecard: `id#version`.
    package static func key(_ id: String, _ version: Int) -> String { "\(id)#\(version)" }
    package var key: String { Scorecard.key(id, version) }

    package struct Criterion: Sendable, Equatable {
        package var id: String
        package var label: String
        var section: String
        package var min: Double
        var max: Double
        var yesNo: Bool
        var weight: Double
        var naAllowed: Bool
        var critical: Bool
        package var target: Double?
        package var coaching: [String]
        /// An automatic check run on every handled leg (`auto:`); never part of an evaluation's score.
        var auto: AutoRule?
    }

    package var id: String
    package var version: Int
    var criteria: [Criterion]
    /// What evaluators read: the scorecard's and its sections' labels (not part of the fingerprint).
    var label: String?
    var sectionLabels: [String: String] = [:]
    /// The channels the scorecard is for (`channels:`); empty for every channel.
    var channels: [String] = []

    /// Whether the scorecard is meant for `channel`.
    func applies(to channel: String) -> Bool { channels.isEmpty || channels.contains(channel) }

    package func criterion(_ id: String) -> Criterion? { criteria.first { $0.id == id } }

    package static func load(file: String) throws -> Scorecard { try parse(ConfigNode.load(file: file)) }
    package static func parse(yaml: String, file: String) throws -> Scorecard { try parse(ConfigNode.parse(yaml, file: file)) }

    static func parse(_ root: ConfigNode) throws -> Scorecard {
        let top = try root.dictionary(allowed: ["id", "version", "label", "channels", "sections"])
        guard let idNode = top["id"], let versionNode = top["version"], let sections = top["sections"] else {
            throw root.error("a scorecard needs `id`, `version` and `sections`")
        }
        let version = try versionNode.int()
        guard version >= 1 else { throw versionNode.error("versions start at 1") }
        var criteria: [Criterion] = []
        var sectionLabels: [String: String] = [:]
        let channels = try top["channels"]?.stringList() ?? []
        if let node = top["channels"] {
            for c in channels where Channel(rawValue: c) == nil {
                throw node.error("unknown channel \"\(c)\"; use \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        for section in try sections.list() {
            let s = try section.dictionary(allowed: ["id", "label", "criteria"])
            let sectionID = try s["id"]?.string() ?? "section"
            sectionLabels[sectionID] = try s["label"]?.string()
            guard let list = s["criteria"] else { throw section.error("a section needs `criteria`") }
            for node in try list.list() {
                let c = try node.dictionary(allowed: ["id", "label", "description", "scale", "weight", "na_allowed", "critical", "target", "coaching", "auto"])
                guard let idNode = c["id"], let scaleNode = c["scale"] else { throw node.error("a criterion needs `id` and `scale`") }
                let id = try idNode.string()
                if criteria.contains(where: { $0.id == id }) { throw idNode.error("criterion \"\(id)\" appears twice") }
                var min = 0.0
                var max = 1.0
                var yesNo = false
                if scaleNode.isMapping {
                    let scale = try scaleNode.dictionary(allowed: ["min", "max"])
                    min = try scale["min"]?.double() ?? 0
                    max = try scale["max"]?.double() ?? 1
                    guard max > min else { throw scaleNode.error("the scale's max must be above its min") }
                } else {
                    guard try scaleNode.string() == "yes_no" else { throw scaleNode.error("scale is yes_no or {min, max}") }
                    yesNo = true
                }
                let weight = try c["weight"]?.double() ?? 1
                guard weight > 0 else { throw c["weight"]!.error("weights are positive") }
                let target = try c["target"]?.double()
                if let target, target < min || target > max { throw c["target"]!.error("the target lies outside the scale") }
                criteria.append(Criterion(id: id, label: try c["label"]?.string() ?? id, section: sectionID, min: min, max: max, yesNo: yesNo,
                                          weight: weight, naAllowed: try c["na_allowed"]?.bool() ?? false, critical: try c["critical"]?.bool() ?? false,
                                          target: target, coaching: try c["coaching"]?.stringList() ?? [],
                                          auto: try c["auto"].map(AutoRule.parse)))
            }
        }
        guard !criteria.isEmpty else { throw sections.error("a scorecard needs at least one criterion") }
        return Scorecard(id: try idNode.string(), version: version, criteria: criteria, label: try top["label"]?.string(),
                         sectionLabels: sectionLabels, channels: channels)
    }

    /// A canonical text of the definition, to tell an identical re-registration from a changed version.
    var fingerprint: String {
        let text = criteria.map { "\($0.id)|\($0.section)|\($0.min)|\($0.max)|\($0.yesNo)|\($0.weight)|\($0.naAllowed)|\($0.critical)|\($0.target.map { "\($0)" } ?? "")|\($0.coaching.joined(separator: ";"))\($0.auto.map { "|auto=" + $0.text } ?? "")" }
            .joined(separator: "\n")
        return hexString(SHA256.hash(data: Data("\(id)|\(version)\n\(text)".utf8)))
    }

    /// The QA score of one evaluation (DESIGN.md §3): 100 × Σ w·(r − min)/(max − min) / Σ w over the
    /// rated criteria; 0 when a critical criterion is rated its scale's minimum; nil when all are N/A.
    /// - Parameter ratings: criterion id → rating, nil for N/A.
    func score(_ ratings: [String: Double?]) -> (score: Double?, criticalFailed: Bool) {
        var weighted = 0.0
        var weights = 0.0
        var criticalFailed = false
        for criterion in criteria {
            guard let entry = ratings[criterion.id], let rating = entry else { continue }
            if criterion.critical, rating <= criterion.min { criticalFailed = true }
            weighted += criterion.weight * (rating - criterion.min) / (criterion.max - criterion.min)
            weights += criterion.weight
        }
        guard weights > 0 else { return (nil, false) }
        return (criticalFailed ? 0 : 100 * weighted / weights, criticalFailed)
    }
}
