@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// Imports through mappings: mapping and validation errors, quarantine, thresholds, idempotence, time zones.
@Suite("CSV import through a mapping")
struct CSVImporterTests {
    static let mappingYAML = """
        name: pbx
        timezone: Europe/London
        rejection_threshold: 0.5
        fields:
          interaction_id: id
          arrived_at: {column: start, format: "dd/MM/yyyy HH:mm:ss"}
          channel: {value: voice}
          answered_at: {column: answer, format: "dd/MM/yyyy HH:mm:ss"}
          talk_s: {column: talk, unit: "mm:ss"}
          agent_id: agent
          customer_id: caller
        """

    func importCSV(_ csv: String, yaml: String = mappingYAML, into store: SQLiteStore? = nil, dir: TemporaryDirectory,
                   name: String = "calls.csv") throws -> (FileImportReport, SQLiteStore) {
        let store = try store ?? makeStore(dir)
        let file = dir.write(name, csv)
        let mapping = try Mapping.parse(yaml: yaml, file: "pbx.yaml")
        let importer = CSVImporter(mapping: mapping, pseudonymiser: testKey, quarantineDirectory: dir.path + "/quarantine")
        return (try importer.importFile(file, into: store), store)
    }

    @Test func validRowsLoadWithDerivedWaitAndAbandon() throws {
        let dir = TemporaryDirectory()
        let (report, store) = try importCSV("""
            id,start,answer,talk,agent,caller
            1,16/11/2026 09:00:00,16/11/2026 09:00:12,04:35,A1,07700 900123
            2,16/11/2026 09:05:00,,,,07700 900124
            """, dir: dir)
        #expect(report.outcome == .loaded)
        #expect(report.log.inserted == 2)
        let rows = try store.rows("SELECT interaction_id, arrived_at, wait_s, abandoned, leg_count, closing_agent_id FROM contacts ORDER BY interaction_id")
        #expect(rows[0] == ["1".databaseValue, utcMillis("2026-11-16T09:00:00Z").databaseValue, (12.0).databaseValue, 0.databaseValue, 1.databaseValue, "A1".databaseValue])
        #expect(rows[1][2] == .null)  // an abandon without an answer time has no derived wait
        #expect(rows[1][3] == 1.databaseValue)
        #expect(rows[1][4] == 0.databaseValue)
        let legs = try store.rows("SELECT talk_s FROM legs")
        #expect(legs == [[(275.0).databaseValue]])
    }

    /// A duration derived from two mapped instants (`{from:, to:}`), a value map and a default: each
    /// row's value as the rule says, and nothing when either instant is missing.
    @Test func derivedDurationsValueMapsAndDefaults() throws {
        let dir = TemporaryDirectory()
        let yaml = """
            name: pbx
            timezone: Europe/London
            fields:
              interaction_id: id
              arrived_at: {column: start, format: "dd/MM/yyyy HH:mm:ss"}
              channel: {column: medium, values: {Phone: voice, Web: chat}, default: email}
              answered_at: {column: answer, format: "dd/MM/yyyy HH:mm:ss"}
              ended_at: {column: end, format: "dd/MM/yyyy HH:mm:ss"}
              acw_s: {from: answered_at, to: ended_at}
              agent_id: agent
            """
        let (report, store) = try importCSV("""
            id,start,medium,answer,end,agent
            1,16/11/2026 09:00:00,Phone,16/11/2026 09:00:12,16/11/2026 09:04:47,A1
            2,16/11/2026 09:05:00,web,16/11/2026 09:05:03,,A2
            3,16/11/2026 09:06:00,,16/11/2026 09:06:01,16/11/2026 09:06:31,A3
            """, yaml: yaml, dir: dir)
        #expect(report.outcome == .loaded)
        #expect(try store.rows("SELECT interaction_id, channel FROM contacts ORDER BY interaction_id")
                == [["1".databaseValue, "voice".databaseValue], ["2".databaseValue, "chat".databaseValue], ["3".databaseValue, "email".databaseValue]])
        #expect(try store.rows("SELECT interaction_id, acw_s, talk_s FROM legs ORDER BY interaction_id")
                == [["1".databaseValue, (275.0).databaseValue, (275.0).databaseValue],
                    ["2".databaseValue, .null, .null],
                    ["3".databaseValue, (30.0).databaseValue, (30.0).databaseValue]])
    }

    @Test func rejectedRowsAreQuarantinedWithLineFieldAndReasonAndMaskedCaller() throws {
        let dir = TemporaryDirectory()
        let (report, store) = try importCSV("""
            id,start,answer,talk,agent,caller
            1,16/11/2026 09:00:00,16/11/2026 09:00:12,04:35,A1,07700 900123
            2,16/11/2026 9h05,,,,07700 900124
            3,16/11/2026 09:10:00,16/11/2026 09:09:00,01:00,A2,07700 900125
            4,16/11/2026 09:20:00,16/11/2026 09:20:05,-01:00,A2,07700 900126
            5,16/11/2026 09:30:00,16/11/2026 09:30:05,01:00,A3
            6,16/11/2026 09:40:00,16/11/2026 09:40:05,01:00,A3,07700 900127
            7,16/11/2026 09:50:00,16/11/2026 09:50:05,01:00,A3,07700 900128
            8,16/11/2026 09:55:00,16/11/2026 09:55:05,01:00,A3,07700 900129
            9,16/11/2026 09:58:00,16/11/2026 09:58:05,01:00,A3,07700 900130
            """, dir: dir)
        #expect(report.outcome == .loaded)
        #expect(report.log.rowsRead == 9)
        #expect(report.log.rejected == 4)
        #expect(report.log.inserted == 5)
        #expect(try store.rows("SELECT COUNT(*) FROM contacts") == [[5.databaseValue]])
        let quarantine = try String(contentsOfFile: report.quarantinePath!, encoding: .utf8)
        let lines = quarantine.split(separator: "\n").map(String.init)
        #expect(lines[0] == "file,line,field,reason,record")
        #expect(lines[1] == "calls.csv,3,start,\"arrived_at: cannot read \"\"16/11/2026 9h05\"\" as a timestamp in the format dd/MM/yyyy HH:mm:ss\",\"2,16/11/2026 9h05,,,,[masked]\"")
        #expect(lines[2].hasPrefix("calls.csv,4,answer,answered_at is before arrived_at"))
        #expect(lines[3].hasPrefix("calls.csv,5,talk,talk_s is negative (-60 s)"))
        #expect(lines[4] == "calls.csv,6,,\"expected 6 fields as in the header, found 5 (ragged row)\",\"5,16/11/2026 09:30:00,16/11/2026 09:30:05,01:00,A3\"")
        #expect(!quarantine.contains("07700"))  // the caller's number never reaches the quarantine
    }

    @Test func aboveTheThresholdNothingLoadsAndTheStoreIsUnchanged() throws {
        let dir = TemporaryDirectory()
        let (_, store) = try importCSV("id,start,answer,talk,agent,caller\n1,16/11/2026 09:00:00,,,,\n", dir: dir, name: "first.csv")
        let strict = CSVImporterTests.mappingYAML.replacingOccurrences(of: "rejection_threshold: 0.5", with: "rejection_threshold: 0.01")
        let (report, _) = try importCSV("""
            id,start,answer,talk,agent,caller
            1,16/11/2026 10:00:00,16/11/2026 10:00:09,01:00,A9,
            2,bad,,,,
            3,16/11/2026 11:00:00,,,,
            """, yaml: strict, into: store, dir: dir, name: "second.csv")
        #expect(report.outcome == .rejectedOverThreshold)
        #expect(report.log.status == .rejected)
        #expect(report.log.message == "1 of 3 rows rejected, above the threshold of 1%; nothing loaded")
        // Row 1 was valid and would have updated contact 1, but the file loads as a whole or not at all.
        #expect(try store.rows("SELECT interaction_id, abandoned FROM contacts") == [["1".databaseValue, 1.databaseValue]])
        let log = try store.ingestLog()
        #expect(log.map(\.status) == [.loaded, .rejected])
        #expect(log[1].rejected == 1)
        #expect(FileManager.default.fileExists(atPath: report.quarantinePath!))
    }

    @Test func reimportIsIdempotentAndTheLatestDuplicateWins() throws {
        let dir = TemporaryDirectory()
        let csv = """
            id,start,answer,talk,agent,caller
            1,16/11/2026 09:00:00,16/11/2026 09:00:12,04:35,A1,07700 900123
            2,16/11/2026 09:05:00,16/11/2026 09:05:30,02:00,A2,07700 900124
            1,16/11/2026 09:00:00,16/11/2026 09:00:12,05:00,A1,07700 900123
            """
        let (first, store) = try importCSV(csv, dir: dir)
        #expect(first.log.inserted == 2)
        #expect(first.log.updated == 1)
        #expect(first.log.duplicates == 1)
        #expect(try store.rows("SELECT talk_s FROM legs WHERE interaction_id = '1'") == [[(300.0).databaseValue]])
        let before = try store.rows("SELECT * FROM contacts ORDER BY 1, 2")
        let (second, _) = try importCSV(csv, into: store, dir: dir, name: "calls-again.csv")
        #expect(second.log.inserted == 0)
        // The file itself sets contact 1 to 04:35 then back to 05:00: two updates, same end state.
        #expect(second.log.updated == 2)
        #expect(try store.rows("SELECT COUNT(*) FROM contacts") == [[2.databaseValue]])
        #expect(try store.rows("SELECT COUNT(*) FROM legs") == [[2.databaseValue]])
        #expect(try store.rows("SELECT talk_s FROM legs WHERE interaction_id = '1'") == [[(300.0).databaseValue]])
        #expect(try store.rows("SELECT * FROM contacts ORDER BY 1, 2").map { $0.dropLast(4) } == before.map { $0.dropLast(4) })
    }

    @Test func olderVersionsArrivingLaterChangeNothing() throws {
        let dir = TemporaryDirectory()
        let yaml = """
            name: versioned
            fields:
              interaction_id: id
              arrived_at: {column: start}
              channel: {value: chat}
              version: {column: updated}
              queue: queue
            """
        let (_, store) = try importCSV("id,start,updated,queue\n1,2026-11-16T09:00:00Z,2026-11-16T10:00:00Z,New\n", yaml: yaml, dir: dir, name: "a.csv")
        let (older, _) = try importCSV("id,start,updated,queue\n1,2026-11-16T09:00:00Z,2026-11-16T09:30:00Z,Old\n", yaml: yaml, into: store, dir: dir, name: "b.csv")
        #expect(older.log.stale == 1)
        #expect(try store.rows("SELECT queue FROM contacts") == [["New".databaseValue]])
        let (newer, _) = try importCSV("id,start,updated,queue\n1,2026-11-16T09:00:00Z,2026-11-16T11:00:00Z,Newest\n", yaml: yaml, into: store, dir: dir, name: "c.csv")
        #expect(newer.log.updated == 1)
        #expect(try store.rows("SELECT queue FROM contacts") == [["Newest".databaseValue]])
    }

    @Test func absentFieldsLeaveStoredValuesAlone() throws {
        let dir = TemporaryDirectory()
        let calls = """
            name: calls
            source: pbx
            fields:
              interaction_id: id
              arrived_at: start
              channel: {value: voice}
              queue: queue
            """
        let surveys = """
            name: surveys
            source: pbx
            fields:
              interaction_id: id
              arrived_at: start
              channel: {value: voice}
              csat: score
              csat_max: {value: "5"}
            """
        let (_, store) = try importCSV("id,start,queue\n1,2026-11-16T09:00:00Z,Billing\n", yaml: calls, dir: dir, name: "calls.csv")
        _ = try importCSV("id,start,score\n1,2026-11-16T09:00:00Z,4\n", yaml: surveys, into: store, dir: dir, name: "surveys.csv")
        #expect(try store.rows("SELECT queue, csat, csat_min, csat_max FROM contacts") == [["Billing".databaseValue, 4.databaseValue, 1.databaseValue, 5.databaseValue]])
    }

    @Test func localTimesInTheMappingZoneAcrossDST() throws {
        let dir = TemporaryDirectory()
        let yaml = CSVImporterTests.mappingYAML + "\nambiguous_time: later"
        let (report, store) = try importCSV("""
            id,start,answer,talk,agent,caller
            autumn,25/10/2026 01:30:00,,,,
            summer,01/07/2026 12:00:00,,,,
            gap,29/03/2026 01:30:00,,,,
            """, yaml: yaml, dir: dir)
        #expect(report.log.rejected == 1)
        #expect(report.sampleRejections[0].description
            == "calls.csv, line 4, field \"start\": arrived_at: \"29/03/2026 01:30:00\" does not exist in Europe/London: the clocks skipped it (spring DST gap)")
        let rows = try store.rows("SELECT interaction_id, arrived_at FROM contacts ORDER BY 1")
        #expect(rows[0] == ["autumn".databaseValue, utcMillis("2026-10-25T01:30:00Z").databaseValue])  // the later 01:30 (GMT)
        #expect(rows[1] == ["summer".databaseValue, utcMillis("2026-07-01T11:00:00Z").databaseValue])
    }

    @Test func theRepeatedAutumnHourDefaultsToTheEarlierInstantOrIsRejected() throws {
        let dir = TemporaryDirectory()
        let (_, store) = try importCSV("id,start,answer,talk,agent,caller\nx,25/10/2026 01:30:00,,,,\n", dir: dir)
        #expect(try store.rows("SELECT arrived_at FROM contacts") == [[utcMillis("2026-10-25T00:30:00Z").databaseValue]])
        let reject = CSVImporterTests.mappingYAML + "\nambiguous_time: reject"
        let (report, _) = try importCSV("id,start,answer,talk,agent,caller\ny,25/10/2026 01:30:00,,,,\n", yaml: reject, dir: dir, name: "r.csv")
        #expect(report.sampleRejections.first?.reason.contains("happens twice in Europe/London") == true)
    }

    @Test func missingColumnAndWrongDelimiterFailTheWholeFile() throws {
        let dir = TemporaryDirectory()
        let (missing, store) = try importCSV("id,begin,answer,talk,agent,caller\n1,16/11/2026 09:00:00,,,,\n", dir: dir)
        guard case .failed(let error) = missing.outcome else { Issue.record("expected a failure"); return }
        #expect(error.description == "calls.csv, line 1, field \"start\": the column \"start\" mapped to arrived_at is not in the header; the header has: id, begin, answer, talk, agent, caller")
        let commaMapping = CSVImporterTests.mappingYAML + "\ndelimiter: \",\""
        let (semicolons, _) = try importCSV("id;start;answer;talk;agent;caller\n1;16/11/2026 09:00:00;;;;\n", yaml: commaMapping,
                                            into: store, dir: dir, name: "semi.csv")
        guard case .failed(let error2) = semicolons.outcome else { Issue.record("expected a failure"); return }
        #expect(error2.reason.contains("the delimiter is probably \";\""))
        #expect(try store.rows("SELECT COUNT(*) FROM contacts") == [[0.databaseValue]])
        #expect(try store.ingestLog().map(\.status) == [.failed, .failed])
    }

    @Test func headerOnlyFileLoadsNothingWithAWarning() throws {
        let dir = TemporaryDirectory()
        let (report, _) = try importCSV("id,start,answer,talk,agent,caller\n", dir: dir)
        #expect(report.outcome == .loaded)
        #expect(report.warnings == ["calls.csv: the file has a header but no data rows; nothing to load"])
    }

    @Test func invalidUTF8InATextFieldNamesTheField() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let file = dir.write("latin.csv", bytes: Array("id,start,answer,talk,agent,caller\n1,16/11/2026 09:00:00,,,Jos".utf8) + [0xE9] + Array(",\n".utf8))
        let importer = CSVImporter(mapping: try Mapping.parse(yaml: CSVImporterTests.mappingYAML, file: "pbx.yaml"),
                                   pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        let report = try importer.importFile(file, into: store)
        #expect(report.sampleRejections.first?.description
            == "latin.csv, line 2, field \"agent\": agent_id is not valid UTF-8 text (declare the file's `encoding:` in the mapping)")
    }

    /// One queue spelt three ways ("Tech", "Technique", "technical support") is one queue.
    @Test func aliasesGiveOneNameToWhatASystemSpellsSeveralWays() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let yaml = CSVImporterTests.mappingYAML + """

              queue: queue
            aliases:
              queue: {Tech: Technical Support, Technique: Technical Support, technical support: Technical Support}
            """
        let file = dir.write("calls.csv", """
            id,start,answer,talk,agent,caller,queue
            1,16/11/2026 09:00:00,16/11/2026 09:00:12,04:35,A1,07700 900123,Tech
            2,16/11/2026 09:05:00,16/11/2026 09:05:12,01:00,A1,07700 900124,Technique
            3,16/11/2026 09:06:00,16/11/2026 09:06:12,01:00,A1,07700 900125,Technical Support
            4,16/11/2026 09:07:00,16/11/2026 09:07:12,01:00,A1,07700 900126,TECHNICAL SUPPORT
            5,16/11/2026 09:08:00,16/11/2026 09:08:12,01:00,A1,07700 900127,Billing
            """)
        let report = try CSVImporter(mapping: try Mapping.parse(yaml: yaml, file: "pbx.yaml"), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(file, into: store)
        #expect(report.outcome == .loaded)
        #expect(try store.query("SELECT DISTINCT queue FROM contacts ORDER BY 1").map { $0[0].string } == ["Billing", "Technical Support"])
        let unmapped = CSVImporterTests.mappingYAML + "\naliases:\n  team: {T1: Team One}\n"
        #expect { try Mapping.parse(yaml: unmapped, file: "pbx.yaml") } throws: { "\($0)".contains("aliases for team, but team is not mapped") }
    }

    /// Cisco CUCM CDRs write Unix seconds (`dateTimeOrigination` …); some APIs write milliseconds.
    /// 1763370000 is 2025-11-17T09:00:00Z.
    @Test func epochTimestampsRead() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let yaml = """
            name: cucm
            rejection_threshold: 0.5
            fields:
              interaction_id: globalCallID_callId
              arrived_at: {column: dateTimeOrigination, format: epoch_s}
              answered_at: {column: dateTimeConnect, format: epoch_s}
              ended_at: {column: dateTimeDisconnect, format: epoch_ms}
              channel: {value: voice}
              agent_id: finalCalledPartyNumber
            """
        let file = dir.write("cdr.csv", """
            globalCallID_callId,dateTimeOrigination,dateTimeConnect,dateTimeDisconnect,finalCalledPartyNumber
            101,1763370000,1763370012.5,1763370312500,201
            102,1763370100,,1763370130000,
            103,17633x0100,,1763370130000,
            104,1763370100,,1763370130.5,
            """)
        let report = try CSVImporter(mapping: try Mapping.parse(yaml: yaml, file: "cucm.yaml"), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(file, into: store)
        #expect(report.log.inserted == 2 && report.log.rejected == 2, "\(report.sampleRejections)")
        #expect(report.sampleRejections.map(\.description).contains { $0.contains("line 4") && $0.contains("as a timestamp in the format epoch_s") })
        #expect(report.sampleRejections.map(\.description).contains { $0.contains("line 5") && $0.contains("in the format epoch_ms") })
        let rows = try store.query("SELECT interaction_id, arrived_at, wait_s, abandoned FROM contacts ORDER BY 1")
        #expect(rows.map { [$0[0].string, $0[1].int.map(String.init), $0[2].double.map { String($0) }, $0[3].int.map(String.init)] }
            == [["101", "1763370000000", "12.5", "0"], ["102", "1763370100000", nil, "1"]])
        #expect(try store.query("SELECT talk_s FROM legs WHERE interaction_id = '101'")[0][0].double == 300)
    }

    /// fixtures/cisco-cucm: five calls in CUCM's CDR field names, instants in Unix seconds. By hand:
    /// 5001 answered after 8 s (300 s talk), 5002 never connected (dateTimeConnect 0), 5003 after 25 s
    /// (240 s), 5004 the caller of 5001 again after 15 s (180 s), 5005 never connected. Offered 5,
    /// abandoned 2 (no known wait, so no short abandon), within 20 s 2 of 5, ASA (8 + 25 + 15) / 3 = 16 s,
    /// AHT 240 s, FCR 2 of 3 (5001 has a repeat, 5004 is it).
    @Test func aCUCMExportInEpochSecondsGivesTheHandCountedKPIs() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let report = try CSVImporter(mapping: try Mapping.load(file: fixture("cisco-cucm/mapping.yaml")), pseudonymiser: testKey,
                                     quarantineDirectory: dir.path + "/q").importFile(fixture("cisco-cucm/cdr_2026-11-17.csv"), into: store)
        #expect(report.outcome == .loaded && report.log.rejected == 0 && report.log.inserted == 5, "\(report.sampleRejections)")
        #expect(try textRows(store, "SELECT interaction_id, abandoned, wait_s, queue, closing_agent_id FROM contacts ORDER BY 1")
                == [["5001", "0", "8", "Billing", "2001"], ["5002", "1", nil, "Billing", nil], ["5003", "0", "25", "Technical Support", "2002"],
                    ["5004", "0", "15", "Billing", "2001"], ["5005", "1", nil, "Technical Support", nil]])
        let day = Period(from: LocalDate(iso: "2026-11-17")!, to: LocalDate(iso: "2026-11-17")!, clock: ZoneClock(identifier: "Europe/London")!)
        let kpis = try KPIEngine(store: store).report(period: day, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-01")!).total
        #expect(kpis.offered == 5 && kpis.handled == 3 && kpis.abandoned == 2 && kpis.shortAbandoned == 0)
        #expect(kpis.serviceLevel.numerator == 2 && kpis.serviceLevel.denominator == 5)
        #expect(abs((kpis.asa.value ?? 0) - 16) < 1e-9)
        #expect(abs((kpis.aht.value ?? 0) - 240) < 1e-9)
        #expect(kpis.fcr.numerator == 2 && kpis.fcr.denominator == 3)
    }

    /// Asterisk's cdr_csv writes no header: columns by position (2 src, 3 dst, 10–12 start/answer/end,
    /// 17 uniqueid); the first line is a call like the others. (dst is the number dialled, kept as the
    /// queue: an unanswered call has one too.)
    @Test func aFileWithoutAHeaderMapsColumnsByPosition() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let yaml = """
            name: asterisk
            header: false
            timezone: Europe/London
            fields:
              interaction_id: 17
              customer_id: {column: 2, kind: phone}
              queue: 3
              arrived_at: {column: 10, format: "yyyy-MM-dd HH:mm:ss"}
              answered_at: {column: 11, format: "yyyy-MM-dd HH:mm:ss"}
              ended_at: {column: 12, format: "yyyy-MM-dd HH:mm:ss"}
              channel: {value: voice}
            """
        let file = dir.write("Master.csv", [
            #""07700900123","201","from-internal","""Caller"" <07700900123>","SIP/trunk-0001","SIP/201-0002","Dial","SIP/201","2026-11-17 09:00:00","2026-11-17 09:00:12","2026-11-17 09:05:12",312,300,"ANSWERED","DOCUMENTATION","1763370000.1""#,
            #""07700900124","201","from-internal","""Caller"" <07700900124>","SIP/trunk-0003","","Dial","SIP/201","2026-11-17 09:10:00","","2026-11-17 09:10:30",30,0,"NO ANSWER","DOCUMENTATION","1763370600.2""#,
        ].map { "\"\"," + $0 }.joined(separator: "\n") + "\n")
        let report = try CSVImporter(mapping: try Mapping.parse(yaml: yaml, file: "asterisk.yaml"), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(file, into: store)
        #expect(report.outcome == .loaded)
        #expect(report.log.rowsRead == 2 && report.log.inserted == 2, "\(report.sampleRejections)")
        let rows = try store.query("SELECT interaction_id, wait_s, abandoned FROM contacts ORDER BY 1").map { [$0[0].string, $0[1].double.map { String($0) }, $0[2].int.map(String.init)] }
        #expect(rows == [["1763370000.1", "12.0", "0"], ["1763370600.2", nil, "1"]])
        let named = yaml.replacingOccurrences(of: "interaction_id: 17", with: "interaction_id: uniqueid")
        #expect { try Mapping.parse(yaml: named, file: "asterisk.yaml") } throws: { "\($0)".contains("names columns by position (1, 2, …), not \"uniqueid\"") }
        let beyond = yaml.replacingOccurrences(of: "queue: 3", with: "queue: 30")
        let far = try CSVImporter(mapping: try Mapping.parse(yaml: beyond, file: "asterisk.yaml"), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(file, into: try makeStore(TemporaryDirectory()))
        guard case .failed(let error) = far.outcome else { Issue.record("\(far.outcome)"); return }
        #expect(error.reason == "column 30, mapped to queue, is beyond the 17 columns of the first line (a file without a header)")
        #expect(!error.description.contains("7700900123"))
    }

    @Test func customerIdentifiersWithoutAKeyStopTheImport() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let file = dir.write("calls.csv", "id,start,answer,talk,agent,caller\n1,16/11/2026 09:00:00,,,,0770\n")
        let importer = CSVImporter(mapping: try Mapping.parse(yaml: CSVImporterTests.mappingYAML, file: "pbx.yaml"),
                                   pseudonymiser: nil, quarantineDirectory: dir.path + "/q")
        #expect(throws: Pseudonymiser.KeyError.self) { try importer.importFile(file, into: store) }
        #expect(try store.rows("SELECT COUNT(*) FROM contacts") == [[0.databaseValue]])
    }
}

@Suite("Mapping files")
struct MappingTests {
    func error(_ yaml: String) -> String? {
        do {
            _ = try Mapping.parse(yaml: yaml, file: "m.yaml")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func mistakesNameFileLineAndKey() {
        #expect(error("fields:\n  interaction_id: id\n  arrived_at: start\n  chanel: {value: voice}\n")
            == "m.yaml:4: fields.chanel: \"chanel\" is not a canonical field (did you mean \"channel\"?)")
        #expect(error("delimeter: \";\"\nfields: {}\n") == "m.yaml:1: unknown key \"delimeter\" (did you mean \"delimiter\"?); allowed: \(Mapping.topKeys.joined(separator: ", "))")
        #expect(error("fields:\n  interaction_id: id\n  arrived_at: start\n")
            == "m.yaml:2: fields: the required field \"channel\" is not mapped (give a constant with `channel: {value: voice}` if the file has one channel)")
        #expect(error("timezone: Mars/Olympus\nfields: {}\n") == "m.yaml:1: timezone: unknown time zone \"Mars/Olympus\" (use an IANA name such as Europe/London)")
        #expect(error("fields:\n  interaction_id: id\n  arrived_at: {column: start, format: \"whenever\"}\n  channel: {value: voice}\n")?
            .hasPrefix("m.yaml:3: fields.arrived_at.format: cannot read this timestamp pattern") == true)
    }

    @Test func theShippedMappingsLoad() throws {
        let cloud = try Mapping.load(file: fixture("cloud-callcenter/mapping.yaml"))
        #expect(cloud.timezone == "America/New_York")
        #expect(cloud.fields[.waitSeconds]?.duration == .hoursMinutesSeconds)
        let eu = try Mapping.load(file: fixture("eu-telephony/mapping.yaml"))
        #expect(eu.delimiter == UInt8(ascii: ";"))
        #expect(eu.decimalSeparator == UInt8(ascii: ","))
    }
}

extension CSVImporterTests {
    /// An empty cell in a column every contact needs (abandoned, transferred, escalated, direction) is a
    /// quarantined row with its reason — it used to abort the whole file with a SQLite NOT NULL error.
    @Test func anEmptyRequiredBooleanIsQuarantined() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        var rows = "interaction_id,channel,arrived_at,abandoned,transferred,talk_s\n"
        for i in 0..<200 { rows += "A\(i),voice,2026-11-16T09:00:00Z,false,false,100\n" }
        rows += "B1,voice,2026-11-16T10:00:00Z,,false,100\n"
        let file = dir.write("c.csv", rows)
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: nil, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        #expect(report.outcome == .loaded)
        #expect((report.log.inserted, report.log.rejected) == (200, 1))
        #expect(report.sampleRejections.map(\.description) == ["c.csv, line 202, field \"abandoned\": abandoned is empty; true or false is required"])
    }

    /// Channel and direction are read from the row's bytes in any ASCII case (no string per row), and
    /// what is not one of them is still rejected with the list of values to map it to.
    @Test func channelAndDirectionInAnyCaseAndUnknownOnesRejected() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        var rows = "interaction_id,channel,direction,arrived_at,abandoned,transferred\n"
        let spellings = [("Voice", "INBOUND"), ("chat", "Outbound"), ("IN_PERSON", "inbound"), ("eMail", "outBound")]
        for i in 0..<200 { rows += "A\(i),\(spellings[i % 4].0),\(spellings[i % 4].1),2026-11-16T09:00:00Z,false,false\n" }
        rows += "B1,fax,inbound,2026-11-16T10:00:00Z,false,false\nB2,voice,sideways,2026-11-16T10:00:00Z,false,false\n"
        let file = dir.write("c.csv", rows)
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: nil, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        #expect((report.log.inserted, report.log.rejected) == (200, 2))
        #expect(report.sampleRejections.map(\.description) == [
            "c.csv, line 202, field \"channel\": unknown channel \"fax\"; map it with `values:` to one of voice, chat, email, messaging, social, letter, in_person, other",
            "c.csv, line 203, field \"direction\": unknown direction \"sideways\"; map it with `values:` to inbound or outbound",
        ])
        let counts = try store.query("SELECT channel, direction, COUNT(*) FROM contacts GROUP BY 1, 2 ORDER BY 1, 2").map { "\($0[0].string!) \($0[1].string!) \($0[2].int!)" }
        #expect(counts == ["chat outbound 50", "email outbound 50", "in_person inbound 50", "voice inbound 50"])
        #expect(CanonicalField.allCases.count <= FieldValues.capacity)
    }
}

/// fixtures/asterisk: a PBX ring group writes one row per phone dialled for one call.
@Suite("Ring-group calls (combine: attempts)")
struct RingGroupTests {
    /// Hand count: four calls. U1 rang 201 (no answer) then 202 (answered after 8 s); U2 was answered by
    /// 201 after 5 s, the unanswered row of 202 written after it; U3 rang both and nobody answered; U4
    /// was a direct call answered after 12 s. Abandoned: U3 only (1 of 4 = 25%); answered within 20 s:
    /// 3 of 4; ASA (8 + 5 + 12) / 3 = 8.33 s; one leg per answered call. With "the later row wins", U2
    /// would read abandoned (2 of 4) and swapping its rows would flip it.
    @Test func attemptsOfOneCallAreOneContactAnsweredIfAnyAttemptWas() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let mapping = try Mapping.load(file: fixture("asterisk/mapping.yaml"))
        let report = try CSVImporter(mapping: mapping, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(fixture("asterisk/Master.csv"), into: store)
        #expect(report.outcome == .loaded && report.log.rejected == 0, "\(report.sampleRejections)")
        let rows = try store.query("SELECT interaction_id, abandoned, wait_s, leg_count, closing_agent_id FROM contacts ORDER BY 1").map {
            "\($0[0].string!) \($0[1].int!) \($0[2].double.map { String($0) } ?? "-") \($0[3].int!) \($0[4].string ?? "-")"
        }
        // The agent is the extension, extracted from the channel name ("SIP/202-0003" → 202).
        #expect(rows == ["1763370000.1 0 8.0 1 202", "1763370600.2 0 5.0 1 201", "1763371200.3 1 - 0 -", "1763371800.4 0 12.0 1 203"])
        let day = Period(from: LocalDate(iso: "2026-11-17")!, to: LocalDate(iso: "2026-11-17")!, clock: ZoneClock(identifier: "Europe/London")!)
        let kpis = try KPIEngine(store: store).report(period: day, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-01")!).total
        #expect(kpis.abandonmentRate.numerator == 1 && kpis.abandonmentRate.denominator == 4)
        #expect(kpis.serviceLevel.numerator == 3 && kpis.serviceLevel.denominator == 4)
        #expect(abs((kpis.asa.value ?? 0) - 25.0 / 3) < 1e-9)
        // The same file with every call's rows in the other order: the same contacts.
        let lines = try String(contentsOfFile: fixture("asterisk/Master.csv"), encoding: .utf8).split(separator: "\n")
        var swapped: [Substring] = []
        for pair in stride(from: 0, to: 6, by: 2) { swapped += [lines[pair + 1], lines[pair]] }
        swapped.append(lines[6])
        let other = TemporaryDirectory()
        let store2 = try makeStore(other)
        _ = try CSVImporter(mapping: mapping, pseudonymiser: testKey, quarantineDirectory: other.path + "/q")
            .importFile(other.write("Master.csv", swapped.joined(separator: "\n") + "\n"), into: store2)
        let again = try store2.query("SELECT interaction_id, abandoned, wait_s, leg_count, closing_agent_id FROM contacts ORDER BY 1").map {
            "\($0[0].string!) \($0[1].int!) \($0[2].double.map { String($0) } ?? "-") \($0[3].int!) \($0[4].string ?? "-")"
        }
        #expect(again == rows)
        // Loading the file again changes nothing.
        let reload = try CSVImporter(mapping: mapping, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(fixture("asterisk/Master.csv"), into: store)
        #expect(reload.log.inserted == 0 && reload.log.updated == 0)
    }

    /// `extract:` takes the first capture group; a value it does not match is a rejected row naming the
    /// field and the pattern, never the value; an invalid pattern is a mapping error.
    @Test func extractTakesTheCaptureGroupAndRejectsWhatItDoesNotMatch() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let mapping = try Mapping.parse(yaml: """
            fields:
              interaction_id: id
              arrived_at: {column: at, format: iso8601}
              channel: {value: voice}
              agent_id: {column: chan, extract: "^SIP/([0-9]+)-"}
            rejection_threshold: 0.5
            """, file: "m.yaml")
        let file = dir.write("calls.csv", "id,at,chan\nA,2026-11-17T09:00:00Z,SIP/201-00a1\nB,2026-11-17T09:05:00Z,PJSIP/alice-0002\nC,2026-11-17T09:06:00Z,SIP/305-0003\n")
        let report = try CSVImporter(mapping: mapping, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        #expect(report.log.rejected == 1)
        #expect(report.sampleRejections.first?.description.contains("agent_id: the value does not match the mapping's extract pattern ^SIP/([0-9]+)-") == true,
                "\(report.sampleRejections)")
        #expect(try store.query("SELECT agent_id FROM legs ORDER BY 1").map { $0[0].string! } == ["201", "305"])
        do {
            _ = try Mapping.parse(yaml: "fields:\n  interaction_id: id\n  arrived_at: {column: at, format: iso8601}\n  channel: {value: voice}\n  agent_id: {column: c, extract: \"SIP/(\"}\n", file: "m.yaml")
            Issue.record("an invalid pattern should be refused")
        } catch { #expect("\(error)".contains("extract is not a valid regular expression"), "\(error)") }
    }

    @Test func combineRefusesWhatWouldContradictIt() {
        for (extra, message) in [("  abandoned: {value: \"false\"}\n", "leave abandoned unmapped"), ("  leg: 5\n", "leave leg unmapped")] {
            let yaml = "combine: attempts\nfields:\n  interaction_id: id\n  arrived_at: {column: at, format: iso8601}\n  channel: {value: voice}\n  agent_id: agent\n" + extra
            do {
                _ = try Mapping.parse(yaml: yaml, file: "m.yaml")
                Issue.record("\(extra) should be refused")
            } catch { #expect("\(error)".contains(message), "\(error)") }
        }
    }
}
