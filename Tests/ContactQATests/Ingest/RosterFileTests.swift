@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// The roster is read whole by the ingest stage and handed to the store as entries; the first problem
/// rejects the file with its line and field, and nothing of it is stored.
@Suite("Roster files")
struct RosterFileTests {
    @Test func theFixtureReadsAndTheLatestFileWins() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let entries = try RosterEntry.read(fixture("roster/agents.csv"))
        #expect(entries.contains(RosterEntry(agentID: "hugo.b", displayName: entries.first { $0.agentID == "hugo.b" }?.displayName,
                                             team: entries.first { $0.agentID == "hugo.b" }?.team, startDate: entries.first { $0.agentID == "hugo.b" }?.startDate,
                                             acknowledgedOn: LocalDate(year: 2026, month: 12, day: 1))))
        #expect(try store.upsertRoster(entries) == entries.count)
        let later = dir.write("later.csv", "agent_id,team\nhugo.b,Lyon 2\n")
        #expect(try store.upsertRoster(try RosterEntry.read(later)) == 1)
        #expect(try textRows(store, "SELECT team, acknowledged_on FROM roster WHERE agent_id = 'hugo.b'") == [["Lyon 2", nil]])
    }

    @Test func problemsNameTheLineAndTheField() throws {
        let dir = TemporaryDirectory()
        func problem(_ text: String) -> String {
            do {
                _ = try RosterEntry.read(dir.write("roster.csv", text))
                return "read"
            } catch {
                return "\(error)"
            }
        }
        #expect(problem("name,team\nx,y\n").contains("a roster needs an agent_id column"))
        #expect(problem("") == "roster.csv: the file is empty")
        // A quoted name over two lines: the bad row after it is reported on its own line, 4.
        #expect(problem("agent_id,display_name,start_date\na1,\"Ann\nSmith\",2026-01-05\na2,Bob,2026-02-30\n")
            == #"roster.csv, line 4, field "start_date": "2026-02-30" is not a date YYYY-MM-DD"#)
        #expect(problem("agent_id,team\na1,T\n,T\n") == #"roster.csv, line 3, field "agent_id": agent_id is empty"#)
        #expect(problem("agent_id,team\na1,T,extra\n") == "roster.csv, line 2: expected 2 fields as in the header, found 3")
    }
}
