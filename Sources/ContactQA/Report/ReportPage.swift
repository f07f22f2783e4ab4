import Foundation

/// What the weekly report's templates show, typed: every value already formatted as the page prints
/// it, in the order the page reads. report.md and report.html render the same page.
struct ReportPage {
    struct HeadlineRow {
        var kpi: String
        var value: String
        var n: String
        var ci: String
        var last: String
        var change: String
        var target: String
        var meets: String
    }

    /// A trend chart, or the sentence that says why there is none.
    struct Chart {
        var kpi: String
        var svg: String
        var trend: String
        var signals: [String]
        var note: String?
    }

    /// A table of KPIs by team, queue or channel (one partial renders all three).
    struct GroupTable {
        var dimension: String
        var note: String?
        var showASA: Bool
        var rows: [GroupRow]
    }

    struct GroupRow {
        var name: String
        var offered: Int
        var sl: String
        var asa: String
        var aht: String
        var fcr: String
        var csat: String
    }

    struct Flagged {
        var agent: String
        var team: String
        var kpi: String
        var value: String
        var teamRate: String
    }

    /// One team's FCR funnel and the colleagues it names beside the chart.
    struct Funnel {
        var team: String
        var svg: String
        var rate: String
        var agents: Int
        var named: [Named]
        var hasNamed: Bool
    }

    struct Named {
        var mark: Int
        var agent: String
        var value: String
        var position: String
    }

    struct Surge {
        var reason: String
        var volume: Int
        var share: String
        var since: String
    }

    struct CriticalTeam {
        var team: String
        var count: Int
        var agents: String
    }

    struct QARow {
        var name: String
        var score: String
        var ci: String
        var n: Int
        var df: String
    }

    struct Evaluator {
        var evaluator: String
        var deviation: String
        var n: String
        var drifting: String
    }

    struct BaselineRow {
        var kpi: String
        var baseline: String
        var top: String
        var improved: String
    }

    struct SourceRow {
        var source: String
        var files: Int
        var rows: Int
        var rejected: Int
        var failed: Int
    }

    struct RejectedFile {
        var file: String
        var source: String
        var date: String
        var reason: String
    }

    struct Criterion {
        var label: String
        var share: String
        var atTarget: Int
        var ratings: Int
    }

    struct Alpha {
        var criterion: String
        var value: String
    }

    struct Consistency {
        var check: String
        var count: Int
    }

    struct Sample {
        var frame: Int
        var requested: Int
        var drawn: Int
        var evaluated: Int
        var coverage: String
        var noNotice: Int
        var unacknowledged: Int
        var alreadyEvaluated: Int
        /// Each evaluator's evaluations of what they were assigned ("Q1 9 of 12, Q2 10 of 10"), when the
        /// sample was assigned.
        var evaluators: String
        /// Stored, not computed: templates see stored properties only.
        var hasEvaluators: Bool
    }

    var week: String
    var from: String
    var to: String
    var timezone: String
    var asOf: String
    var status: String
    var revisions: [String]
    var provisional: Bool
    var sameFollowUp: String?
    var offered: Int
    var empty: Bool
    var waiting: [String]
    var hasWaiting: Bool
    var summary: String
    var headline: [HeadlineRow]
    var thresholds: String
    var nps: String
    var escalations: String
    var changeNote: String

    var historyWeeks: Int
    var charts: [Chart]
    var hasCharts: Bool
    var trendNote: String
    var minimumWeekSize: Int

    var groupTables: [GroupTable]

    var flagged: [Flagged]
    var hasFlagged: Bool
    var expectedFalseFlags: String
    var funnelCount: Int
    var funnels: [Funnel]
    var funnelsLeftOut: String?
    var surges: [Surge]

    var evaluations: Int
    var inSample: Int
    /// For a risk-targeted sample: what the reviewed legs' own mean says, beside the centre's estimate.
    var targeted: String?
    var qaScore: String
    var qaCI: String
    var qaTeams: [QARow]
    var hasQATeams: Bool
    var qaAgents: [QARow]
    var hasQAAgents: Bool
    var criticalCount: Int
    /// Packs acknowledged, evaluations disputed and overturned, by team; empty when not recorded.
    var feedback: String
    var hasFeedback: Bool
    /// One line per automatic check: failures over every handled leg, by team, and agreement with evaluators.
    var autoChecks: [String]
    var hasAutoChecks: Bool
    var criticalByTeam: [CriticalTeam]
    var sample: Sample?
    var weakest: [Criterion]
    var hasCriteria: Bool
    var alpha: [Alpha]
    var validation: [String]
    var evaluators: [Evaluator]
    var hasEvaluators: Bool
    var plansDue: [String]
    var hasPlansDue: Bool
    var baselines: [BaselineRow]
    var hasBaselines: Bool

    var ingest: [SourceRow]
    var gaps: [String]
    var future: [String]
    var notInRoster: [String]
    var monitoringNotice: String?
    var rejectedFiles: [RejectedFile]
    var consistency: [Consistency]
}
