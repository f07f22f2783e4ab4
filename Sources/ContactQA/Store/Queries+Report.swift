import Foundation

/// What the weekly report asks the store beyond the KPI aggregates.
extension SQLStore {
    /// The latest arrival in the store (UTC ms).
    func latestArrival() throws -> Int64? {
        try query("SELECT MAX(arrived_at) FROM contacts").first?.first?.int64
    }

    /// Agents who handled legs of the period's contacts and are not in the roster.
    func agentsNotInRoster(_ period: Period) throws -> [String] {
        try query("""
            SELECT DISTINCT l.agent_id FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND l.agent_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM roster r WHERE r.agent_id = l.agent_id) ORDER BY 1
            """, [.integer(period.fromUTC), .integer(period.toUTC)]).compactMap { $0.first?.string }
    }

    /// FCR's totals per customer (the clusters of its interval), judged as the KPI engine judges; nil
    /// when no customer has a judged contact.
    func fcrByCustomer(_ period: Period, parameters: KPIParameters) throws -> ClusteredRatio? {
        let (judged, resolved) = SQLiteStore.fcrExpressions(parameters)
        let row = try aggregateQuery("""
            SELECT COUNT(*), SUM(y), SUM(m), SUM(y * y), SUM(y * m), SUM(m * m) FROM (
                SELECT COUNT(*) AS m, SUM(CASE WHEN \(resolved) THEN 1 ELSE 0 END) AS y
                FROM contacts c WHERE c.direction = 'inbound' AND c.arrived_at >= ? AND c.arrived_at < ? AND \(judged)
                GROUP BY c.customer_key) t
            """, [.integer(period.fromUTC), .integer(period.toUTC)]).first ?? []
        func number(_ i: Int) -> Double { i < row.count ? row[i].double ?? row[i].int64.map(Double.init) ?? 0 : 0 }
        guard let clusters = row.first?.int, clusters > 0 else { return nil }
        return ClusteredRatio(clusters: clusters, sumY: number(1), sumM: number(2), sumYY: number(3), sumYM: number(4), sumMM: number(5))
    }

    /// Every rating of the period's evaluations (sampled or spot), with its scorecard.
    func ratings(in period: Period) throws -> [(scorecardKey: String, criterion: String, rating: Double)] {
        try query("""
            SELECT e.scorecard_id, e.scorecard_version, a.criterion_id, a.rating
            FROM evaluations e JOIN contacts c ON c.source = e.source AND c.interaction_id = e.interaction_id
            JOIN evaluation_answers a ON a.evaluation_id = e.evaluation_id
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND a.rating IS NOT NULL
            """, [.integer(period.fromUTC), .integer(period.toUTC)]).compactMap { r in
            guard let card = r[0].string, let version = r[1].int, let criterion = r[2].string, let rating = r[3].double else { return nil }
            return (Scorecard.key(card, version), criterion, rating)
        }
    }
}

extension SQLStore {
    /// Data-consistency checks over a period's contacts, each with up to five example ids.
    /// - Parameter readsEveryContact: scan every contact instead of the arrival index; nil: as the
    ///   store advises for the period (tests force each).
    func consistencyChecks(_ period: Period, windowDays: Int, readsEveryContact scan: Bool? = nil) throws -> [ConsistencyCheck] {
        // Over a period that spans most of the store (a first night's thirteen weeks), every contact is
        // read in key order instead of each found through the arrival index (`+` keeps SQLite off it):
        // at 1M contacts the four checks took 2.0 s, now 0.36 s. They only count and list ids, so the
        // result is the same either way.
        let arrived = try scan ?? readsEveryContact(from: period.fromUTC, to: period.toUTC) ? "+c.arrived_at" : "c.arrived_at"
        let range = "\(arrived) >= \(period.fromUTC) AND \(arrived) < \(period.toUTC)"
        // `kept`: the check reads only contacts and legs, so its result is kept between runs.
        let checks: [(name: String, sql: String, kept: Bool)] = [
            ("talk and hold longer than the leg's answered-to-ended time by over a minute", """
                SELECT l.interaction_id FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id
                WHERE \(range) AND l.answered_at IS NOT NULL AND l.ended_at IS NOT NULL
                  AND COALESCE(l.talk_s, 0) + COALESCE(l.hold_s, 0) > (l.ended_at - l.answered_at) / 1000.0 + 60
                """, true),
            ("answered without an agent", """
                SELECT l.interaction_id FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id
                WHERE \(range) AND l.answered_at IS NOT NULL AND l.agent_id IS NULL
                """, true),
            ("handled without any leg", "SELECT c.interaction_id FROM contacts c WHERE \(range) AND c.abandoned = 0 AND c.leg_count = 0 AND c.direction = 'inbound'", true),
            ("survey responses for contacts not loaded", "SELECT interaction_id FROM pending_surveys", false),
            ("resolved yet repeated within the FCR window", """
                SELECT c.interaction_id FROM contacts c WHERE \(range) AND c.resolved = 1
                  AND c.next_inbound_at <= c.arrived_at + \(Int64(windowDays) * 86_400_000)
                """, true),
        ]
        // One pass per check: the count is taken over every match before the five examples are cut.
        return try checks.map { name, sql, kept in
            let statement = "SELECT x.interaction_id, COUNT(*) OVER () FROM (\(sql)) AS x ORDER BY 1 LIMIT 5"
            let rows = try kept ? aggregateQuery(statement, []) : query(statement, [])
            return ConsistencyCheck(name: name, count: rows.first?[1].int ?? 0, examples: rows.compactMap { $0[0].string })
        }
    }
}
