import Foundation

/// Management outputs of a pipeline with `privacy.agent_names: false` name colleagues by pseudonymous
/// labels (`Pseudonymiser.agentLabel`) instead of their ids. The data and the QA working files (the
/// sample and the feedback packs, which the QA team and team leads act on) keep the ids.
struct AgentLabels: Sendable {
    package let pseudonymiser: Pseudonymiser

    package init(_ pseudonymiser: Pseudonymiser) { self.pseudonymiser = pseudonymiser }

    package func label(_ id: String?) -> String? { id.map(pseudonymiser.agentLabel(for:)) }
}

extension KPIReport {
    /// The same report with every agent key replaced by its label.
    func labellingAgents(_ labels: AgentLabels) -> KPIReport {
        guard let position = groupBy.firstIndex(of: .agent) else { return self }
        var copy = self
        copy.groups = groups.map { group in
            var g = group
            if case .text(let id)? = g.key[position] { g.key[position] = .text(labels.pseudonymiser.agentLabel(for: id)) }
            return g
        }
        return copy
    }
}

extension QualityReport {
    func labellingAgents(_ labels: AgentLabels) -> QualityReport {
        var copy = self
        copy.evaluations = evaluations.map { e in
            var e = e
            e.agent = labels.label(e.agent)
            return e
        }
        if groupBy == .agent { copy.groups = groups.map { (labels.label($0.key), $0.estimate) } }
        return copy
    }
}

extension TrendsReport {
    func labellingAgents(_ labels: AgentLabels) -> TrendsReport {
        var copy = self
        copy.funnels = funnels.map { f in
            var f = f
            f.agent = labels.label(f.agent)
            return f
        }
        return copy
    }
}

extension WeeklyReport {
    func labellingAgents(_ labels: AgentLabels) -> WeeklyReport {
        var copy = self
        copy.trends = trends.labellingAgents(labels)
        copy.quality = quality.labellingAgents(labels)
        copy.agentsNotInRoster = agentsNotInRoster.compactMap(labels.label)
        copy.agentNames = [:]
        copy.plansDue = plansDue.map { plan in
            var labelled = plan
            labelled.agent = labels.label(plan.agent) ?? plan.agent
            return labelled
        }
        return copy
    }
}
