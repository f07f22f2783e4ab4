import Foundation

extension SQLStore {
    /// Ids of the units selected by any recorded sample (routine or spot) of a period.
    func sampledUnitIDs(from: LocalDate, to: LocalDate) throws -> Set<String> {
        let rows = try query("""
            SELECT u.source, u.interaction_id, u.leg FROM sample_units u JOIN samples s ON s.id = u.sample_id
            WHERE s.period_from = ? AND s.period_to = ? AND s.superseded_by IS NULL AND u.selected = 1
            """, [.text(from.description), .text(to.description)])
        return Set(rows.map { "\($0[0].string ?? "")|\($0[1].string ?? "")|\($0[2].int ?? 0)" })
    }
}
