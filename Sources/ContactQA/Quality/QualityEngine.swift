import Foundation

/// One evaluation as `quality` reports it (DESIGN.md §6).
package struct EvaluationSummary: Sendable {
    var evaluationID: String
    var interactionID: String
    var leg: Int
    package var agent: String?
    package var team: String?
    package var evaluator: String
    var score: Double?
    var criticalFailed: Bool
    /// Selected by a recorded routine sample: counts in the design-weighted estimates.
    var inSample: Bool
    /// The ISO week of the evaluated contact, in the period's zone.
    package var week: String?
    /// Made in a calibration session: compares evaluators, never a finding about the agent.
    package var calibration = false
    var cell: String?
    var sampleID: Int64?
    var cellPopulation: Int?
    /// π of the unit in its sample, for Poisson samples (weighted by 1/π); nil for fixed-size cells.
    var poissonProbability: Double?
}

/// A design-weighted QA score of a domain.
struct QAEstimate: Sendable, Equatable {
    package var value: Double
    var se: Double?
    /// Evaluated legs in the domain.
    package var n: Int
    /// Degrees of freedom of the variance: evaluated legs less variance strata (cells, collapsed pairs).
    var degreesOfFreedom: Int?

    package init(value: Double, se: Double?, n: Int, degreesOfFreedom: Int? = nil) {
        self.value = value
        self.se = se
        self.n = n
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// ŷ ± t(0.975; df)·SE: with a handful of evaluations the normal 1.96 covers far less than 95%.
    var ci95: (lower: Double, upper: Double)? {
        guard let se else { return nil }
        let t = degreesOfFreedom.map { StudentT.quantile(0.975, degreesOfFreedom: Double(max(1, $0))) } ?? z95
        return (value - t * se, value + t * se)
    }

    static func == (a: QAEstimate, b: QAEstimate) -> Bool {
        a.value == b.value && a.se == b.se && a.n == b.n && a.degreesOfFreedom == b.degreesOfFreedom
    }
}

/// The result of `contactqa quality`.
package struct QualityReport: Sendable {
    package var period: Period
    package var groupBy: QualityGrouping
    package var evaluations: [EvaluationSummary]
    var groups: [(key: String?, estimate: QAEstimate)]
    var alpha: [(criterion: String, value: Double?)]
    var evaluators: [(evaluator: String, meanDeviation: Double, n: Int, drifting: Bool)]
}

package enum QualityGrouping: String, CaseIterable, Sendable { case agent, team, evaluator, week }

/// QA scores and their design-weighted estimates (DESIGN.md §3, §4), and calibration (§5).
package struct QualityEngine {
    package let store: any SQLStore

    package init(store: any SQLStore) { self.store = store }

    package func report(period: Period, groupBy: QualityGrouping) throws -> QualityReport {
        let evaluations = try store.evaluationSummaries(in: period)
        let sampled = evaluations.filter { $0.inSample && $0.score != nil }
        func key(_ e: EvaluationSummary) -> String? {
            switch groupBy {
            case .agent: e.agent
            case .team: e.team
            case .evaluator: e.evaluator
            case .week: e.week
            }
        }
        let domains = Set(sampled.map(key)).sorted { ($0 ?? "\u{10FFFF}") < ($1 ?? "\u{10FFFF}") }
        let legs = SampledLegs(sampled)
        let groups = domains.compactMap { d in QualityEngine.hajek(legs, inDomain: { key($0) == d }).map { (d, $0) } }
        let (alpha, deviations) = try calibration(evaluations)
        return QualityReport(period: period, groupBy: groupBy, evaluations: evaluations, groups: groups, alpha: alpha, evaluators: deviations)
    }

    /// The Hájek estimate of a domain's mean score with its Taylor-linearised standard error for a
    /// stratified design with finite-population correction (Särndal, Swensson & Wretman, *Model Assisted
    /// Survey Sampling*, 1992, §5.6 and §5.10): weights w = N_h/m_h over the evaluated units of each cell h;
    /// ŷ = Σ_d w y / Σ_d w; z_hi = w_i (y_i − ŷ) 1[i ∈ d] / Σ_d w; V = Σ_h (1 − m_h/N_h) m_h/(m_h − 1) Σ_i (z_hi − z̄_h)².
    /// A cell with one evaluation adds no variance term (m_h − 1 = 0); a domain none of whose members
    /// shares a cell with another evaluation has no estimable SE (nil, not 0).
    ///
    /// Units of Poisson samples (a daily release) are weighted by 1/π instead and add, for the Hájek
    /// ratio under Poisson sampling, V = Σ_k (1 − π_k) (z_k/π_k)² with z_k = (y_k − ŷ) 1[k ∈ d] / Σ_d w
    /// (Särndal, Swensson & Wretman 1992, §3.4 for the Poisson design, §5.6 for the ratio).
    static func hajek(_ evaluations: [EvaluationSummary], inDomain: (EvaluationSummary) -> Bool) -> QAEstimate? {
        hajek(SampledLegs(evaluations), inDomain: inDomain)
    }

    /// A sample's evaluated legs, worked out once for all the domains estimated from it (every agent,
    /// every team): which evaluations score the same leg, and how many legs each cell had evaluated.
    struct SampledLegs {
        let evaluations: [EvaluationSummary]
        /// For each evaluation, the index of its leg (same sample, cell, interaction and leg).
        let legOf: [Int]
        /// For each evaluation, its `sample|cell`.
        let cellOf: [String]
        /// Distinct evaluated legs per `sample|cell`, Poisson samples left out.
        let legsInCell: [String: Int]

        init(_ evaluations: [EvaluationSummary]) {
            self.evaluations = evaluations
            var ids: [String: Int] = [:]
            var legOf: [Int] = []
            legOf.reserveCapacity(evaluations.count)
            for e in evaluations {
                let key = "\(e.sampleID!)|\(e.cell!)|\(e.interactionID)|\(e.leg)"
                if let id = ids[key] {
                    legOf.append(id)
                } else {
                    ids[key] = ids.count
                    legOf.append(ids.count - 1)
                }
            }
            self.legOf = legOf
            cellOf = evaluations.map { "\($0.sampleID!)|\($0.cell!)" }
            var legs: [String: Set<String>] = [:]
            for e in evaluations where e.poissonProbability == nil {
                legs["\(e.sampleID!)|\(e.cell!)", default: []].insert("\(e.interactionID)|\(e.leg)")
            }
            legsInCell = legs.mapValues(\.count)
        }
    }

    static func hajek(_ sample: SampledLegs, inDomain: (EvaluationSummary) -> Bool) -> QAEstimate? {
        // One sampled unit, one value: a leg evaluated several times (routine re-scores) enters once,
        // with the mean of its scores; m_h counts distinct evaluated legs, never evaluations.
        struct Unit {
            var cell: String
            var y: Double
            var inDomain: Bool
            var population: Int?
            var pi: Double?
        }
        let evaluations = sample.evaluations
        var slot: [Int: Int] = [:]
        var grouped: [[Int]] = []
        for (i, e) in evaluations.enumerated() {
            let key = sample.legOf[i] * 2 + (inDomain(e) ? 1 : 0)
            if let index = slot[key] {
                grouped[index].append(i)
            } else {
                slot[key] = grouped.count
                grouped.append([i])
            }
        }
        let units = grouped.map { members -> Unit in
            let first = evaluations[members[0]]
            return Unit(cell: sample.cellOf[members[0]], y: members.reduce(0) { $0 + evaluations[$1].score! } / Double(members.count),
                        inDomain: inDomain(first), population: first.cellPopulation, pi: first.poissonProbability)
        }
        let legsInCell = sample.legsInCell
        func weight(_ u: Unit) -> Double {
            if let pi = u.pi { return 1 / pi }
            // 0 < m_h ≤ N_h: a cell cannot hold more evaluated legs than its frame had units.
            let m = legsInCell[u.cell]!
            return Double(max(u.population ?? m, m)) / Double(m)
        }
        let domain = units.filter(\.inDomain)
        guard !domain.isEmpty else { return nil }
        let totalWeight = domain.reduce(0) { $0 + weight($1) }
        let mean = domain.reduce(0) { $0 + weight($1) * $1.y } / totalWeight
        var variance = 0.0
        var estimable = false
        var degreesOfFreedom = 0
        func z(_ u: Unit) -> Double { u.inDomain ? weight(u) * (u.y - mean) / totalWeight : 0 }
        /// One variance stratum: m/(m − 1)·Σ(z − z̄)², with the finite-population factor when it is a cell.
        func addStratum(_ members: [Unit], fpc: Double) {
            let m = Double(members.count)
            let zs = members.map(z)
            let zBar = zs.reduce(0, +) / m
            variance += fpc * m / (m - 1) * zs.reduce(0) { $0 + ($1 - zBar) * ($1 - zBar) }
            if members.contains(where: \.inDomain) {
                estimable = true
                degreesOfFreedom += members.count - 1
            }
        }
        let byCell = Dictionary(grouping: units.filter { $0.pi == nil }, by: \.cell)
        var singletons: [Unit] = []
        for cell in byCell.keys.sorted() {
            let members = byCell[cell]!
            guard members.count >= 2 else {
                singletons.append(members[0])
                continue
            }
            let big = Double(max(members[0].population ?? members.count, members.count))
            addStratum(members, fpc: 1 - Double(members.count) / big)
        }
        // Cells with a single evaluated leg give no variance of their own: they are collapsed in pairs with
        // the next such cell (collapsed strata; Wolter, *Introduction to Variance Estimation*, 2nd ed.,
        // 2007, §2.5), a trailing odd one joining the last pair, without the finite-population factor —
        // a conservative estimate, where leaving them out understated the SE.
        var index = 0
        while singletons.count - index >= 2 {
            let size = singletons.count - index == 3 ? 3 : 2
            addStratum(Array(singletons[index..<(index + size)]), fpc: 1)
            index += size
        }
        let poissonMembers = domain.filter { $0.pi != nil }
        if poissonMembers.count >= 2 {
            estimable = true
            degreesOfFreedom += poissonMembers.count - 1
        }
        for u in poissonMembers {
            let pi = u.pi!
            let zk = (u.y - mean) / totalWeight
            variance += (1 - pi) * (zk / pi) * (zk / pi)
        }
        // One evaluated leg says nothing of its own spread: its deviation from the domain's mean is zero
        // by construction, so any "interval" would be zero wide.
        if domain.count < 2 { estimable = false }
        return QAEstimate(value: mean, se: estimable ? variance.squareRoot() : nil, n: domain.count,
                          degreesOfFreedom: estimable ? max(1, degreesOfFreedom) : nil)
    }

    /// Krippendorff's alpha per criterion over legs rated by several evaluators, and each evaluator's
    /// mean deviation from the mean of the others on the same legs.
    func calibration(_ evaluations: [EvaluationSummary]) throws -> ([(String, Double?)], [(String, Double, Int, Bool)]) {
        let byLeg = Dictionary(grouping: evaluations) { "\($0.interactionID)|\($0.leg)" }.filter { $0.value.count >= 2 }
        guard !byLeg.isEmpty else { return ([], []) }
        let ids = byLeg.values.flatMap { $0.map(\.evaluationID) }
        let answers = try store.ratedAnswers(ofEvaluations: ids)
        let cards = try store.scorecards()
        var ratings: [String: [String: [Double]]] = [:]  // criterion → leg → values
        var yesNo: [String: Bool] = [:]
        let legOf = Dictionary(uniqueKeysWithValues: byLeg.flatMap { leg, members in members.map { ($0.evaluationID, leg) } })
        for answer in answers {
            ratings[answer.criterion, default: [:]][legOf[answer.evaluation]!, default: []].append(answer.rating)
            if let card = cards[answer.scorecardKey] { yesNo[answer.criterion] = card.criterion(answer.criterion)?.yesNo }
        }
        let alpha = ratings.keys.sorted().map { criterion in
            (criterion, KrippendorffAlpha.alpha(Array(ratings[criterion]!.values), metric: yesNo[criterion] == true ? .nominal : .interval))
        }
        let deviations = QualityEngine.deviations(byLeg.values.map { members in members.compactMap { e in e.score.map { (e.evaluator, $0) } } })
        let evaluators = deviations.keys.sorted().map {
            ($0, deviations[$0]!.reduce(0, +) / Double(deviations[$0]!.count), deviations[$0]!.count, QualityReport.isDrifting(deviations[$0]!))
        }
        return (alpha, evaluators)
    }

    /// Each evaluator's deviations from the consensus on the legs they scored with others: own score less
    /// the **median** of the others' — with three or more on a leg, one biased colleague does not move the
    /// consensus (the mean of the others did, and made unbiased evaluators look drifting).
    static func deviations(_ legs: [[(evaluator: String, score: Double)]]) -> [String: [Double]] {
        var deviations: [String: [Double]] = [:]
        for members in legs {
            for (i, e) in members.enumerated() {
                let others = members.enumerated().filter { $0.offset != i }.map(\.element.score).sorted()
                guard let consensus = quantileType7(others, 0.5) else { continue }
                deviations[e.evaluator, default: []].append(e.score - consensus)
            }
        }
        return deviations
    }
}

extension QualityReport {
    /// `contactqa quality --format json` (DESIGN.md §6).
    package var json: JSONValue {
        .object([
            ("period", .object([("from", .string(period.from.description)), ("to", .string(period.to.description)), ("timezone", .string(period.clock.identifier))])),
            ("group_by", .array([.string(groupBy.rawValue)])),
            ("evaluations", .array(evaluations.map { e in
                .object([("evaluation_id", .string(e.evaluationID)), ("interaction_id", .string(e.interactionID)), ("leg", .int(e.leg)),
                         ("agent_id", .text(e.agent)), ("evaluator_id", .string(e.evaluator)), ("score", .number(e.score)),
                         ("critical_failed", .bool(e.criticalFailed)), ("in_sample", .bool(e.inSample))])
            })),
            ("groups", .array(groups.map { g in
                .object([("key", .object([(groupBy.rawValue, .text(g.key))])),
                         ("qa_score", .object([("value", .double(g.estimate.value)), ("se", .number(g.estimate.se)),
                                               ("df", g.estimate.degreesOfFreedom.map { .int($0) } ?? .null),
                                               ("ci95", g.estimate.ci95.map { .array([.double($0.lower), .double($0.upper)]) } ?? .null),
                                               ("n", .int(g.estimate.n))]))])
            })),
            ("calibration", .object([
                ("alpha", .object(alpha.map { ($0.criterion, .number($0.value)) })),
                ("evaluators", .array(evaluators.map { .object([("evaluator_id", .string($0.evaluator)), ("mean_deviation", .double($0.meanDeviation)), ("n", .int($0.n)),
                                                                ("drifting", .bool($0.drifting))]) })),
            ])),
        ])
    }

    /// An evaluator drifts when they score, on average over at least 3 calibrated legs, 10 points or more
    /// away from the mean of their colleagues on the same legs.
    /// A drifting evaluator: at least 3 legs, 10 points or more from the consensus on average, and that
    /// mean clear of zero — |mean|/(sd/√n) beyond t(0.995; n − 1), a two-sided test at 1% — so that the
    /// scatter of a few legs is not read as a bias.
    static func isDrifting(_ deviations: [Double]) -> Bool {
        let n = deviations.count
        guard n >= 3 else { return false }
        let mean = deviations.reduce(0, +) / Double(n)
        guard abs(mean) >= 10 else { return false }
        let variance = deviations.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        guard variance > 0 else { return true }
        return abs(mean) / (variance / Double(n)).squareRoot() >= StudentT.quantile(0.995, degreesOfFreedom: Double(n - 1))
    }

    package var table: String {
        var out = "QA scores \(period.from) to \(period.to): \(evaluations.count) evaluations, \(evaluations.filter(\.inSample).count) in a representative sample\n"
        out += "\(groupBy.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) score   95% CI          n\n"
        for g in groups {
            let ci = g.estimate.ci95.map { String(format: "[%.1f–%.1f]", max(0, $0.lower), min(100, $0.upper)) } ?? "-"
            out += (g.key ?? "(none)").padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: " %5.1f   ", g.estimate.value)
                + ci.padding(toLength: 15, withPad: " ", startingAt: 0) + " \(g.estimate.n)\n"
        }
        let spots = evaluations.filter { !$0.inSample }
        if !spots.isEmpty { out += "\(spots.count) evaluations outside a representative sample (spot checks) are reported apart, not in the estimates\n" }
        for e in evaluators where e.drifting {
            out += String(format: "Drifting evaluator: %@ scores %+.1f points from the others on average (%d legs)\n", e.evaluator, e.meanDeviation, e.n)
        }
        if !alpha.isEmpty {
            out += "Calibration (Krippendorff's alpha): " + alpha.map { "\($0.criterion) \($0.value.map { String(format: "%.2f", $0) } ?? "-")" }.joined(separator: ", ") + "\n"
        }
        return out
    }
}
