@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// One contract every importer passes (as swift-configuration's ProviderCompatTest does for providers):
/// a valid fixture becomes its canonical rows; malformed records are quarantined with their position
/// and reason while the rest loads; re-import changes nothing; a newer re-delivery replaces the
/// older and an older one changes nothing; the source's time zone is honoured; unknown extra fields
/// are ignored and missing optional ones tolerated (the fixtures hold both).
struct ImporterContractCase: CustomTestStringConvertible, Sendable {
    var name: String
    /// Imports one file into a store.
    var load: @Sendable (String, any ContactStore, String) throws -> FileImportReport
    var fixture: String
    /// `interaction_id|arrived_at (UTC)|abandoned|legs` for every contact of the fixture, sorted.
    var expected: [String]
    /// A file with one good record and bad ones, and the positions and reasons expected in quarantine.
    var malformed: String
    var malformedName: String
    var rejections: [(position: Int, reason: String)]
    /// Two versions of the same record, older then newer, and the field that tells them apart.
    var older: String
    var newer: String
    var changed: (sql: String, older: String, newer: String)

    var testDescription: String { name }
}

/// `interaction_id|arrived_at|abandoned|leg:agent,…` of every contact, from plain SQL both backends read alike.
func canonicalDump(_ store: any ContactStore) throws -> [String] {
    var legs: [String: [String]] = [:]
    for row in try textRows(store, "SELECT source, interaction_id, leg, COALESCE(agent_id, '-') FROM legs ORDER BY source, interaction_id, leg") {
        legs["\(row[0]!)|\(row[1]!)", default: []].append("\(row[2]!):\(row[3]!)")
    }
    return try textRows(store, "SELECT source, interaction_id, arrived_at, abandoned FROM contacts ORDER BY source, interaction_id").map { row in
        let instant = row[2].flatMap { Int64($0) }.map(isoUTC) ?? "-"
        return "\(row[1] ?? "")|\(instant)|\(row[3] ?? "-1")|\((legs["\(row[0]!)|\(row[1]!)"] ?? []).joined(separator: ","))"
    }
}

let contractCases: [ImporterContractCase] = [
    ImporterContractCase(
        name: "csv (eu-telephony mapping)",
        load: { path, store, quarantine in
            var mapping = try Mapping.load(file: fixture("eu-telephony/mapping.yaml"))
            mapping.rejectionThreshold = 1
            return try CSVImporter(mapping: mapping, pseudonymiser: testKey, quarantineDirectory: quarantine).importFile(path, into: store)
        },
        fixture: fixture("eu-telephony/appels_2026-W47.csv"),
        // Paris local times (CET, UTC+1 in November) become UTC.
        expected: ["FR-1001|2026-11-17T08:00:05Z|0|1:claire.m", "FR-1002|2026-11-17T08:12:40Z|1|", "FR-1003|2026-11-17T09:30:00Z|0|1:hugo.b",
                   "FR-1004|2026-11-18T13:02:00Z|0|1:hugo.b", "FR-1005|2026-11-18T15:45:10Z|1|", "FR-1006|2026-11-19T10:11:11Z|0|1:claire.m"],
        malformed: "Id appel;Début;File;Agent;Équipe;Appelant;Attente;Conversation;Mise en attente;Post-traitement;Statut;Motif\nOK;17/11/2026 09:00:05;F;a;T;0472000001;1;2;0;3;Répondu;x\nB1;31/11/2026 09:00:00;F;a;T;0472000002;1;2;0;3;Répondu;x\nB2;17/11/2026 09:00:00;F;a;T;0472000003;-5;2;0;3;Répondu;x\n",
        malformedName: "bad.csv",
        rejections: [(3, "arrived_at: cannot read \"31/11/2026 09:00:00\""), (4, "wait_s is negative")],
        older: "Id appel;Début;File;Agent;Équipe;Appelant;Attente;Conversation;Mise en attente;Post-traitement;Statut;Motif\nV;17/11/2026 09:00:05;F;a;T;0472000001;1;100;0;3;Répondu;x\n",
        newer: "Id appel;Début;File;Agent;Équipe;Appelant;Attente;Conversation;Mise en attente;Post-traitement;Statut;Motif\nV;17/11/2026 09:00:05;F;a;T;0472000001;1;200;0;3;Répondu;x\n",
        changed: ("SELECT talk_s FROM legs WHERE interaction_id = 'V'", "100", "200")
    ),
    ImporterContractCase(
        name: "amazon-connect-ctr",
        load: { path, store, quarantine in
            var importer = JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: testKey, quarantineDirectory: quarantine)
            importer.rejectionThreshold = 1
            return try importer.importFile(path, into: store)
        },
        fixture: fixture("amazon-connect/ctr-2026-11-17.jsonl"),
        expected: ["a1|2026-11-17T09:00:00Z|0|1:alice", "b1|2026-11-17T09:10:00Z|1|", "b2|2026-11-17T09:20:00Z|1|", "cb1|2026-11-17T11:00:00Z|0|1:alice",
                   "ch1|2026-11-17T12:00:00Z|0|1:dave", "o1|2026-11-17T13:00:00Z|0|1:bob", "t1|2026-11-17T10:00:00Z|0|1:bob,2:carol"],
        malformed: """
            {"ContactId":"OK","Channel":"VOICE","InitiationTimestamp":"2026-11-17T09:00:00Z"}
            {"ContactId":"B1","Channel":"VOICE","InitiationTimestamp":"yesterday"}
            {"ContactId":"B2","Channel":"VOICE","InitiationTimestamp":"2026-11-17T09:00:00Z","Queue":{"Duration":-4}}
            """,
        malformedName: "bad.jsonl",
        rejections: [(2, "cannot read \"yesterday\" as an ISO-8601 timestamp"), (3, "Queue.Duration is negative")],
        older: #"{"ContactId":"V","Channel":"VOICE","InitiationTimestamp":"2026-11-17T09:00:00Z","LastUpdateTimestamp":"2026-11-17T09:10:00Z","Agent":{"Username":"u","ConnectedToAgentTimestamp":"2026-11-17T09:00:05Z","AgentInteractionDuration":100}}"#,
        newer: #"{"ContactId":"V","Channel":"VOICE","InitiationTimestamp":"2026-11-17T09:00:00Z","LastUpdateTimestamp":"2026-11-17T09:30:00Z","Agent":{"Username":"u","ConnectedToAgentTimestamp":"2026-11-17T09:00:05Z","AgentInteractionDuration":200}}"#,
        changed: ("SELECT talk_s FROM legs WHERE interaction_id = 'V'", "100", "200")
    ),
    ImporterContractCase(
        name: "genesys-conversations",
        load: { path, store, quarantine in
            var importer = JSONImporter(mapper: try GenesysConversationMapper(lookupsIn: fixture("genesys")), pseudonymiser: testKey, quarantineDirectory: quarantine)
            importer.rejectionThreshold = 1
            return try importer.importFile(path, into: store)
        },
        fixture: fixture("genesys/conversations-2026-11-19.json"),
        expected: ["g1|2026-11-19T09:00:20Z|0|1:alice.g", "g2|2026-11-19T10:00:15Z|1|", "g3|2026-11-19T11:00:05Z|0|1:alice.g,2:bob.g", "g4|2026-11-19T12:00:00Z|0|1:bob.g"],
        malformed: """
            {"conversations": [
             {"conversationId": "OK", "conversationStart": "2026-11-19T09:00:00Z", "participants": []},
             {"conversationStart": "2026-11-19T09:00:00Z", "participants": []},
             {"conversationId": "B", "conversationStart": "2026-11-19T09:00:00Z", "participants": [{"purpose": "agent", "sessions": [{"metrics": [{"name": "tTalk", "value": -5}]}]}]}
            ]}
            """,
        malformedName: "bad.json",
        rejections: [(2, "conversationId is missing"), (3, "tTalk is negative")],
        older: #"{"conversations": [{"conversationId": "V", "conversationStart": "2026-11-19T09:00:00Z", "participants": [{"purpose": "agent", "userId": "u", "sessions": [{"sessionId": "s", "segments": [{"segmentType": "interact", "segmentStart": "2026-11-19T09:00:05Z", "segmentEnd": "2026-11-19T09:01:00Z"}], "metrics": [{"name": "tTalkComplete", "value": 100000}]}]}]}]}"#,
        newer: #"{"conversations": [{"conversationId": "V", "conversationStart": "2026-11-19T09:00:00Z", "participants": [{"purpose": "agent", "userId": "u", "sessions": [{"sessionId": "s", "segments": [{"segmentType": "interact", "segmentStart": "2026-11-19T09:00:05Z", "segmentEnd": "2026-11-19T09:02:00Z"}], "metrics": [{"name": "tTalkComplete", "value": 200000}]}]}]}]}"#,
        changed: ("SELECT talk_s FROM legs WHERE interaction_id = 'V'", "100", "200")
    ),
    ImporterContractCase(
        name: "zendesk-tickets",
        load: { path, store, quarantine in
            var importer = JSONImporter(mapper: ZendeskTicketMapper(), pseudonymiser: testKey, quarantineDirectory: quarantine)
            importer.rejectionThreshold = 1
            return try importer.importFile(path, into: store)
        },
        fixture: fixture("zendesk/tickets-2026-11-18.json"),
        expected: ["1001|2026-11-16T08:00:00Z|0|1:501", "1002|2026-11-16T10:00:00Z|0|", "1003|2026-11-17T09:00:00Z|0|1:502", "1004|2026-11-18T11:00:00Z|0|1:501"],
        malformed: """
            {"tickets": [
             {"id": 1, "created_at": "2026-11-16T08:00:00Z", "via": {"channel": "email"}},
             {"created_at": "2026-11-16T08:00:00Z"},
             {"id": 3, "created_at": "2026-11-16T08:00:00Z", "satisfaction_rating": {"score": "great"}}
            ]}
            """,
        malformedName: "bad.json",
        rejections: [(2, "id is missing"), (3, "unknown satisfaction score \"great\"")],
        older: #"{"tickets": [{"id": 7, "created_at": "2026-11-16T08:00:00Z", "updated_at": "2026-11-16T09:00:00Z", "status": "open"}]}"#,
        newer: #"{"tickets": [{"id": 7, "created_at": "2026-11-16T08:00:00Z", "updated_at": "2026-11-16T10:00:00Z", "status": "solved"}]}"#,
        changed: ("SELECT resolved FROM contacts WHERE interaction_id = '7'", "0", "1")
    ),
]

@Suite("Importer contract")
struct ImporterContractTests {
    @Test(arguments: contractCases, Backend.allCases)
    func validFixtureBecomesItsCanonicalRowsAndReimportChangesNothing(_ c: ImporterContractCase, _ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        let first = try c.load(c.fixture, store, dir.path + "/q")
        #expect(first.outcome == .loaded)
        #expect(first.log.rejected == 0)
        #expect(try canonicalDump(store) == c.expected)
        // Every stored field but the ingest id (which records the file that last changed a row).
        let contacts = """
            SELECT source, interaction_id, channel, direction, queue, customer_key, contact_reason, arrived_at, wait_s, abandoned,
                   transferred, escalated, resolved, csat, csat_min, csat_max, nps, monitoring_notice, version, leg_count,
                   closing_agent_id, closing_team FROM contacts ORDER BY 1, 2
            """
        let before = try textRows(store, contacts)
        let legsBefore = try textRows(store, "SELECT source, interaction_id, leg, agent_id, talk_s, hold_s, acw_s FROM legs ORDER BY 1, 2, 3")
        let second = try c.load(c.fixture, store, dir.path + "/q")
        #expect(second.log.inserted == 0)
        #expect(try canonicalDump(store) == c.expected)
        #expect(try textRows(store, "SELECT source, interaction_id, leg, agent_id, talk_s, hold_s, acw_s FROM legs ORDER BY 1, 2, 3") == legsBefore)
        #expect(try textRows(store, contacts) == before)
    }

    @Test(arguments: contractCases, Backend.allCases)
    func malformedRecordsAreQuarantinedAndTheRestLoads(_ c: ImporterContractCase, _ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        let report = try c.load(dir.write(c.malformedName, c.malformed), store, dir.path + "/q")
        #expect(report.outcome == .loaded)
        #expect(report.sampleRejections.map(\.position) == c.rejections.map(\.position))
        for (error, expected) in zip(report.sampleRejections, c.rejections) {
            #expect(error.reason.contains(expected.reason), "\(error)")
            #expect(error.file == c.malformedName)
        }
        #expect(try textRows(store, "SELECT COUNT(*) FROM contacts") == [["1"]])
        let quarantine = try String(contentsOfFile: report.quarantinePath!, encoding: .utf8)
        #expect(quarantine.split(separator: "\n").count == 1 + c.rejections.count)
    }

    @Test(arguments: contractCases, Backend.allCases)
    func newerVersionsReplaceOlderOnesNeverTheReverse(_ c: ImporterContractCase, _ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        let older = dir.write("older" + (c.malformedName as NSString).pathExtension.prefixedDot, c.older)
        let newer = dir.write("newer" + (c.malformedName as NSString).pathExtension.prefixedDot, c.newer)
        _ = try c.load(older, store, dir.path + "/q")
        #expect(try textRows(store, c.changed.sql) == [[c.changed.older]])
        _ = try c.load(newer, store, dir.path + "/q")
        #expect(try textRows(store, c.changed.sql) == [[c.changed.newer]])
        if !c.name.hasPrefix("csv") {
            // A source with update times: the older record delivered again changes nothing.
            let again = dir.write("older-again." + (c.malformedName as NSString).pathExtension, c.older)
            let report = try c.load(again, store, dir.path + "/q")
            #expect(report.log.stale == 1)
            #expect(try textRows(store, c.changed.sql) == [[c.changed.newer]])
        }
    }
}

private extension String {
    var prefixedDot: String { "." + self }
}
