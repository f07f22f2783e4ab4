import ContactQA
import Foundation
import Testing

/// Runs the built `contactqa` binary as a user or cron would, and checks output and exit codes (DESIGN.md §6).
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func contactqa(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> CommandResult {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("contactqa").path,
        repositoryRoot + "/.build/debug/contactqa",
    ]
    guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates.joined(separator: ", ")])
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "CONTACTQA_KEY_FILE")
    env.merge(environment) { _, new in new }
    process.environment = env
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}

@Suite("contactqa command line")
struct CommandLineTests {
    let key = fixture("keys/demo.key")

    @Test func ingestThenKPIsAsJSON() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        let ingest = try contactqa(["ingest", "--store", store, "--source", "canonical", "--timezone", "Europe/London",
                                    "--key-file", key, fixture("canonical/contacts_2026-W47.csv")])
        #expect(ingest.status == 0)
        #expect(ingest.stderr.contains("contacts_2026-W47.csv: 15 rows read, 15 inserted"))
        let kpis = try contactqa(["kpis", "--store", store, "--week", "2026-W47", "--by", "agent", "--format", "json", "--as-of", "2026-11-25"])
        #expect(kpis.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(kpis.stdout.utf8)) as! [String: Any]
        #expect((object["period"] as! [String: Any])["provisional"] as? Bool == true)
        #expect(object["group_by"] as? [String] == ["agent"])
        let groups = object["groups"] as! [[String: Any]]
        #expect(groups.map { ($0["key"] as! [String: Any])["agent"] as? String } == ["A1", "A2", "A3", nil])
        let offered = ((object["total"] as! [String: Any])["kpis"] as! [String: Any])["offered"] as? Int
        #expect(offered == 11)
        let csv = try contactqa(["kpis", "--store", store, "--week", "2026-W47", "--format", "csv"])
        #expect(csv.stdout.split(separator: "\n").count == 2)
        #expect(csv.stdout.hasPrefix("from,to,timezone,provisional,offered,handled,abandoned,short_abandoned"))
    }

    @Test func exitCodes() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        // 2: usage and configuration errors.
        let noZone = try contactqa(["ingest", "--store", store, "--source", "canonical", "--key-file", key, fixture("canonical/contacts_2026-W47.csv")])
        #expect(noZone.status == 2)
        #expect(noZone.stderr.contains("creating a store needs the site timezone"))
        let badMapping = dir.write("bad.yaml", "fields:\n  interaction_id: id\n  arrived_at: t\n  chanel: x\n")
        let mapped = try contactqa(["ingest", "--store", store, "--timezone", "UTC", "--source", "csv", "--mapping", badMapping, badMapping])
        #expect(mapped.status == 2)
        #expect(mapped.stderr.contains("bad.yaml:4: fields.chanel: \"chanel\" is not a canonical field (did you mean \"channel\"?)"))
        let grouping = try contactqa(["kpis", "--store", store, "--week", "2026-W47", "--by", "colour"])
        #expect(grouping.status == 2)
        #expect(grouping.stderr.contains("unknown grouping \"colour\""))
        let noKey = try contactqa(["ingest", "--store", store, "--source", "canonical", fixture("canonical/contacts_2026-W47.csv")])
        #expect(noKey.status == 2)
        #expect(noKey.stderr.contains("no pseudonymisation key"))
        // 3: input rejected; the valid file beside it still loads.
        let broken = dir.write("broken.csv", "interaction_id,channel,arrived_at\n1,voice,yesterday\n")
        let rejected = try contactqa(["ingest", "--store", store, "--source", "canonical", "--key-file", key, broken, fixture("canonical/contacts_2026-W47.csv")])
        #expect(rejected.status == 3)
        #expect(rejected.stderr.contains("broken.csv, line 2, field \"arrived_at\": arrived_at: cannot read \"yesterday\" as a timestamp"))
        #expect(rejected.stderr.contains("contacts_2026-W47.csv: 15 rows read, 15 inserted"))
        let empty = dir.write("empty.csv", "")
        #expect(try contactqa(["ingest", "--store", store, "--source", "canonical", empty]).status == 3)
    }

    @Test func generateKey() throws {
        let dir = TemporaryDirectory()
        let result = try contactqa(["ingest", "--generate-key", dir.path + "/k"])
        #expect(result.status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: dir.path + "/k")[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try contactqa(["ingest", "--generate-key", dir.path + "/k"]).status == 2)
    }

    @Test func demoPipelineRunsTwiceWithTheSameResult() throws {
        let dir = TemporaryDirectory()
        // A copy of the demo pipeline whose store and reports live in the temporary folder.
        let text = try String(contentsOfFile: repositoryRoot + "/pipelines/demo.yaml", encoding: .utf8)
            .replacingOccurrences(of: "../.contactqa/", with: dir.path + "/")
            .replacingOccurrences(of: "../fixtures/", with: repositoryRoot + "/fixtures/")
        let pipeline = dir.write("demo.yaml", text)
        let first = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01"])
        #expect(first.status == 0)
        let report = dir.path + "/reports/2026-W47/kpis.json"
        let firstJSON = try String(contentsOfFile: report, encoding: .utf8)
        let second = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01"])
        #expect(second.status == 0)
        #expect(second.stderr.contains("already loaded (same SHA-256), skipped"))
        #expect(try String(contentsOfFile: report, encoding: .utf8) == firstJSON)
        // Totals over the three systems' fixtures: 11 canonical + 7 inbound cloud calls + 6 French calls.
        let object = try JSONSerialization.jsonObject(with: Data(firstJSON.utf8)) as! [String: Any]
        let kpis = (object["total"] as! [String: Any])["kpis"] as! [String: Any]
        #expect(kpis["offered"] as? Int == 24)
        #expect(kpis["abandoned"] as? Int == 7)
    }
}
