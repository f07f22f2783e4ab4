import Foundation

/// A member of the QA team, from `evaluators.csv`: `evaluator_id, name, capacity, excluded_teams`
/// (evaluations per week; the teams, `;`-separated, whose interactions they may not evaluate — their
/// own team among them).
package struct Evaluator: Equatable, Sendable {
    package var id: String
    var name: String?
    var capacity: Int
    var excludedTeams: Set<String>

    /// Reads the QA team; the first problem rejects the file with its line and field.
    package static func read(_ path: String) throws -> [Evaluator] {
        let file = try HeaderedCSV(path, required: ["evaluator_id", "capacity"], optional: ["name", "excluded_teams"], what: "the QA team file")
        var evaluators: [Evaluator] = []
        for row in file.rows {
            let id = row.values["evaluator_id"] ?? ""
            guard !id.isEmpty else { throw file.error(row.line, "evaluator_id", "evaluator_id is empty") }
            guard !evaluators.contains(where: { $0.id == id }) else { throw file.error(row.line, "evaluator_id", "\(id) is listed twice") }
            let text = row.values["capacity"] ?? ""
            guard let capacity = Int(text), (0...10_000).contains(capacity) else {
                throw file.error(row.line, "capacity", "capacity is a whole number of evaluations per week, 0 to 10000, not \"\(text)\"")
            }
            let excluded = (row.values["excluded_teams"] ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let name = row.values["name"].flatMap { $0.isEmpty ? nil : $0 }
            evaluators.append(Evaluator(id: id, name: name, capacity: capacity, excludedTeams: Set(excluded)))
        }
        return evaluators
    }

    /// Whether this evaluator may evaluate a leg of `agent` in `team`.
    func mayEvaluate(agent: String?, team: String?) -> Bool {
        agent != id && !(team.map(excludedTeams.contains) ?? false)
    }
}

/// Who evaluates which of a sample's interactions.
///
/// Deterministic from the sample and the QA team: the selected units are taken in the order of their
/// permanent random numbers — those the fewest evaluators may take first — and each goes to the
/// evaluator allowed to evaluate it whose load is the smallest share of their capacity, `(load + ½) / capacity` (Sainte-Laguë's divisors, so loads end
/// proportional to capacity within one), ties to the smaller id. Nobody evaluates themselves or a
/// team they are excluded from, and nobody goes over capacity: a unit no one can take stays
/// unassigned, with the reason. Then `calibrationShare` of each evaluator's assignments (rounded,
/// the first in PRN order) are scored a second time by another allowed evaluator, chosen the same
/// way among those with capacity left first.
package struct AssignmentPlan: Sendable, Equatable {
    package struct Assignment: Sendable, Equatable {
        package var source: String
        package var interactionID: String
        package var leg: Int
        package var evaluatorID: String
        /// A second, independent scoring for calibration.
        package var calibration: Bool
    }

    package var assignments: [Assignment]
    /// Open disputes and who re-evaluates each (``assignReEvaluations(_:to:)``).
    package var reEvaluations: [(dispute: OpenDispute, evaluator: String)] = []
    /// Selected units nobody could take, with why.
    package var unassigned: [(unit: String, reason: String)]
    /// Each evaluator's assignments (calibration included) against their capacity, in id order.
    package var loads: [(evaluator: String, assigned: Int, capacity: Int)]

    package static func == (a: AssignmentPlan, b: AssignmentPlan) -> Bool {
        a.assignments == b.assignments && a.unassigned.map(\.unit) == b.unassigned.map(\.unit) && a.loads.map(\.evaluator) == b.loads.map(\.evaluator)
            && a.loads.map(\.assigned) == b.loads.map(\.assigned)
    }

    /// - Parameter teamOf: the roster's team of an agent, for legs whose source gives none.
    package static func assign(_ units: [SampledUnit], to evaluators: [Evaluator], calibrationShare: Double,
                               teamOf: (String) -> String? = { _ in nil }) -> AssignmentPlan {
        let ordered = units.filter(\.selected).sorted(by: SampledUnit.selectionOrder)
        var load = [String: Int](uniqueKeysWithValues: evaluators.map { ($0.id, 0) })
        func pick(_ candidates: [Evaluator]) -> Evaluator? { leastLoaded(candidates, load) }
        var primary: [Assignment] = []
        var unassigned: [(String, String)] = []
        // The units fewest evaluators may take go first, so that the flexible ones can even out the loads.
        let candidates = ordered.map { s -> (unit: SampledUnit, team: String?, allowed: [Evaluator]) in
            let team = s.unit.team ?? s.unit.agent.flatMap(teamOf)
            return (s, team, evaluators.filter { $0.capacity > 0 && $0.mayEvaluate(agent: s.unit.agent, team: team) })
        }
        let byConstraint = candidates.enumerated().sorted { ($0.element.allowed.count, $0.offset) < ($1.element.allowed.count, $1.offset) }.map(\.element)
        for (s, team, allowed) in byConstraint {
            guard let chosen = pick(allowed.filter { load[$0.id]! < $0.capacity }) else {
                unassigned.append((s.unit.id, allowed.isEmpty ? "no evaluator may evaluate \(team.map { "team \($0)" } ?? "this agent")"
                                                             : "every evaluator allowed is at capacity"))
                continue
            }
            load[chosen.id]! += 1
            primary.append(Assignment(source: s.unit.source, interactionID: s.unit.interactionID, leg: s.unit.leg, evaluatorID: chosen.id, calibration: false))
        }
        var second: [Assignment] = []
        if calibrationShare > 0 {
            let units = Dictionary(ordered.map { ($0.unit.id, $0.unit) }, uniquingKeysWith: { a, _ in a })
            let position = Dictionary(ordered.enumerated().map { ($0.element.unit.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
            for evaluator in evaluators {
                let own = primary.filter { $0.evaluatorID == evaluator.id }
                    .sorted { position["\($0.source)|\($0.interactionID)|\($0.leg)"]! < position["\($1.source)|\($1.interactionID)|\($1.leg)"]! }
                let count = Int((Double(own.count) * calibrationShare).rounded())
                for a in own.prefix(count) {
                    let unit = units["\(a.source)|\(a.interactionID)|\(a.leg)"]
                    let team = unit?.team ?? unit?.agent.flatMap(teamOf)
                    let others = evaluators.filter { $0.id != evaluator.id && $0.capacity > 0 && $0.mayEvaluate(agent: unit?.agent, team: team) }
                    guard let chosen = pick(others.filter { load[$0.id]! < $0.capacity }) ?? pick(others) else { continue }
                    load[chosen.id]! += 1
                    second.append(Assignment(source: a.source, interactionID: a.interactionID, leg: a.leg, evaluatorID: chosen.id, calibration: true))
                }
            }
        }
        let all = (primary + second).sorted { ($0.interactionID, $0.leg, $0.calibration ? 1 : 0, $0.source) < ($1.interactionID, $1.leg, $1.calibration ? 1 : 0, $1.source) }
        return AssignmentPlan(assignments: all, reEvaluations: [], unassigned: unassigned,
                              loads: evaluators.sorted { $0.id < $1.id }.map { ($0.id, load[$0.id]!, $0.capacity) })
    }

    /// The candidate whose load is the smallest share of capacity, `(load + ½) / capacity`, ties to the smaller id.
    static func leastLoaded(_ candidates: [Evaluator], _ load: [String: Int]) -> Evaluator? {
        candidates.min { a, b in
            let x = (Double(load[a.id] ?? 0) + 0.5) / Double(a.capacity), y = (Double(load[b.id] ?? 0) + 0.5) / Double(b.capacity)
            return x != y ? x < y : a.id < b.id
        }
    }

    /// `assignments.csv`: `interaction_id, leg, evaluator_id, calibration`, one line per scoring.
    package var csv: String {
        var lines = [CSVText.line(["interaction_id", "leg", "evaluator_id", "calibration"])]
        for a in assignments { lines.append(CSVText.line([a.interactionID, String(a.leg), a.evaluatorID, a.calibration ? "true" : "false"])) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line for the console and the log: each evaluator's load against capacity.
    package var summary: String {
        var text = "assigned " + loads.map { "\($0.evaluator) \($0.assigned)/\($0.capacity)" }.joined(separator: ", ")
        if !unassigned.isEmpty {
            let reasons = Dictionary(grouping: unassigned, by: \.reason).map { "\($0.value.count) because \($0.key)" }.sorted()
            text += "; \(unassigned.count) unassigned: " + reasons.joined(separator: "; ")
        }
        return text
    }
}

/// A disputed evaluation waiting for its re-evaluation.
package struct OpenDispute: Sendable, Equatable {
    var evaluationID: String
    var source: String
    var interactionID: String
    var leg: Int
    /// Who made the disputed evaluation: never the one to re-evaluate it.
    var evaluator: String
    var agent: String?
    var team: String?
    var criterion: String?
    var reason: String?
}

extension AssignmentPlan {
    /// Gives each open dispute to an evaluator allowed to evaluate its leg other than its first
    /// evaluator, the least loaded against capacity (this week's assignments counted), ties to the
    /// smaller id. A dispute nobody can take stays unassigned, with the reason.
    package mutating func assignReEvaluations(_ disputes: [OpenDispute], to evaluators: [Evaluator]) {
        var load = Dictionary(uniqueKeysWithValues: loads.map { ($0.evaluator, $0.assigned) })
        for d in disputes {
            let allowed = evaluators.filter { $0.id != d.evaluator && $0.capacity > 0 && $0.mayEvaluate(agent: d.agent, team: d.team) }
            guard let chosen = AssignmentPlan.leastLoaded(allowed, load) else {
                unassigned.append(("\(d.source)|\(d.interactionID)|\(d.leg)", "no evaluator other than \(d.evaluator) may re-evaluate dispute \(d.evaluationID)"))
                continue
            }
            load[chosen.id, default: 0] += 1
            reEvaluations.append((d, chosen.id))
        }
        loads = loads.map { ($0.evaluator, load[$0.evaluator] ?? $0.assigned, $0.capacity) }
    }

    /// `re-evaluations.csv`: `evaluation_id, interaction_id, leg, evaluator_id`, one line per open dispute assigned.
    package var reEvaluationsCSV: String {
        var lines = [CSVText.line(["evaluation_id", "interaction_id", "leg", "evaluator_id"])]
        for (d, evaluator) in reEvaluations { lines.append(CSVText.line([d.evaluationID, d.interactionID, String(d.leg), evaluator])) }
        return lines.joined(separator: "\n") + "\n"
    }
}
