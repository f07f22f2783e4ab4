@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// The importer on public data nobody here wrote (../shared/data, see its README). Skipped when that
/// folder is absent, as in a user's clone. Expected values were counted once with Python's csv module
/// (Python 3.11, 2026-11-23), independently of ContactQA.
@Suite("Public datasets", .enabled(if: FileManager.default.fileExists(atPath: sharedData), "../shared/data is absent"))
struct PublicDatasetTests {
    func importFile(_ data: String, mapping: String, timeZone: String = "America/New_York", backend: Backend = .sqlite) throws -> (FileImportReport, any SQLStore, TemporaryDirectory)? {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir, timeZone: timeZone) else { return nil }
        let importer = CSVImporter(mapping: try Mapping.load(file: fixture(mapping)), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        return (try importer.importFile(sharedData + "/" + data, into: store), store, dir)
    }

    @Test(arguments: Backend.allCases)
    func callCentreWithSparseTenPointCSAT(_ backend: Backend) throws {
        guard let (report, store, dir) = try importFile("callcenter-csat-32k/call_center.csv", mapping: "public-datasets/callcenter-csat-32k.yaml",
                                                        backend: backend) else { return }
        #expect(report.outcome == .loaded)
        #expect((report.log.rowsRead, report.log.inserted, report.log.rejected) == (32_941, 32_941, 0))
        let clock = ZoneClock(identifier: "America/New_York")!
        let october = Period(from: LocalDate(iso: "2020-10-01")!, to: LocalDate(iso: "2020-10-31")!, clock: clock)
        let k = try KPIEngine(store: store).report(period: october, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2021-01-01")!).total
        #expect(k.offered == 32_941)
        #expect(k.abandoned == 0)  // every row has a duration of 5 minutes or more
        // 12,271 responses; 1,660 of them 9 or 10 (top two boxes of ten); scores sum to 68,085.
        #expect(k.csat == RateEstimate(1_660, of: 12_271))
        #expect(abs(k.csatMean.value! - (68_085.0 - 12_271) / 9 / 12_271) < 1e-12)
        // Durations sum to 824,222 minutes.
        #expect(abs(k.aht.value! - 824_222.0 * 60 / 32_941) < 1e-9)
        #expect(k.asa.n == 0)  // no waits in this export: ASA and service level stay unknown, not zero
        #expect(k.serviceLevel.numerator == 0)
        withExtendedLifetime(dir) {}
    }

    @Test(arguments: Backend.allCases)
    func bankCallLogWithBlankRowsAndSplitDateAndTime(_ backend: Backend) throws {
        guard let (report, store, dir) = try importFile("crm-callcenterlogs/CRMCallCenterLogs.csv", mapping: "public-datasets/crm-callcenterlogs.yaml",
                                                        backend: backend) else { return }
        #expect(report.outcome == .loaded)
        // 3,999 rows; 984 without a call are quarantined; 3,015 distinct call ids.
        #expect((report.log.rowsRead, report.log.rejected, report.log.inserted) == (3_999, 984, 3_015))
        #expect(report.sampleRejections.first?.reason == "interaction_id is empty")
        // HANG (416) and PHANTOM (19) never reached an agent.
        #expect(try textRows(store, "SELECT COUNT(*) FROM contacts WHERE abandoned = 1") == [["435"]])
        let quarantine = try String(contentsOfFile: report.quarantinePath!, encoding: .utf8)
        #expect(quarantine.split(separator: "\n").count == 985)
        #expect(!quarantine.contains("977-806-9726"))
        withExtendedLifetime(dir) {}
    }

    @Test func bankCallLogIsRejectedWholeUnderTheDefaultThreshold() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir, timeZone: "America/New_York")
        var mapping = try Mapping.load(file: fixture("public-datasets/crm-callcenterlogs.yaml"))
        mapping.rejectionThreshold = 0.01
        let report = try CSVImporter(mapping: mapping, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(sharedData + "/crm-callcenterlogs/CRMCallCenterLogs.csv", into: store)
        #expect(report.outcome == .rejectedOverThreshold)
        #expect(try store.rows("SELECT COUNT(*) FROM contacts") == [[0.databaseValue]])
    }

    @Test func ticketExportWithMultiLineDescriptionsParses() throws {
        var records = 0
        var widths = Set<Int>()
        try CSVReader(path: sharedData + "/customer-support-tickets/customer_support_tickets.csv").forEachRecord { record in
            records += 1
            widths.insert(record.count)
        }
        #expect(records == 8_470)  // the header and 8,469 tickets
        #expect(widths == [17])
    }
}

let sharedData = repositoryRoot + "/../shared/data"
