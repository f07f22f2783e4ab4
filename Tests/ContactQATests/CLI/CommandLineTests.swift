@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Runs the built `contactqa` binary as a user or cron would, and checks output and exit codes (DESIGN.md §6).
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func contactqaBinary() throws -> String {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("contactqa").path,
        repositoryRoot + "/.build/debug/contactqa",
    ]
    guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates.joined(separator: ", ")])
    }
    return binary
}

func contactqa(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> CommandResult {
    let binary = try contactqaBinary()
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
        #expect(csv.stdout.hasPrefix("from,to,timezone,parameters,provisional,offered,handled,abandoned,short_abandoned"))
        #expect(csv.stdout.contains("fcr=repeat_contact,window_days:7,match:customer"))
        let table = try contactqa(["kpis", "--store", store, "--week", "2026-W47", "--fcr-window-days", "30"])
        #expect(table.stdout.contains("Parameters: as_of="))
        #expect(table.stdout.contains("fcr=repeat_contact,window_days:30,match:customer"))
        let zeroWindow = try contactqa(["kpis", "--store", store, "--week", "2026-W47", "--fcr-window-days", "0"])
        #expect(zeroWindow.status == 2)
        #expect(zeroWindow.stderr.contains("the FCR window must be at least 1 day, not 0"))
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
        let result = try contactqa(["ingest", "generate-key", dir.path + "/k"])
        #expect(result.status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: dir.path + "/k")[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let again = try contactqa(["ingest", "generate-key", dir.path + "/k"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists; a key is never overwritten"))
        // The spelling scripts used before the subcommand.
        #expect(try contactqa(["ingest", "--generate-key", dir.path + "/k2"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/k2"))
    }

    /// Dates and weeks are typed arguments: a value that is not one is a usage error naming the option.
    @Test func datesAndWeeksAreCheckedByTheParser() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        #expect(try contactqa(["ingest", "--store", store, "--source", "canonical", "--timezone", "Europe/London",
                               "--key-file", key, fixture("canonical/contacts_2026-W47.csv")]).status == 0)
        for (arguments, option) in [(["kpis", "--store", store, "--week", "2025-W53"], "--week"),  // 2025 has 52 weeks
                                    (["kpis", "--store", store, "--from", "2026-02-30", "--to", "2026-03-01"], "--from"),
                                    (["trends", "--store", store, "--week", "2026-W47", "--as-of", "yesterday"], "--as-of"),
                                    (["coaching", "list", "--store", store, "--as-of", "2026-11-31"], "--as-of"),
                                    (["generate", "--rows", "5", "--start", "26/10/2026", "--out", dir.path + "/g.csv"], "--start")] {
            let result = try contactqa(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains("is invalid for '\(option)"), "\(arguments): \(result.stderr)")
        }
        #expect(try contactqa(["kpis", "--store", store, "--week", "2026-W47", "--as-of", "2026-12-01"]).status == 0)
        #expect(try contactqa(["coaching", "list", "--store", store, "--as-of", "2026-12-01"]).status == 0)
    }

    @Test func demoPipelineRunsTwiceWithTheSameResult() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        let first = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-25"])
        #expect(first.status == 0)
        let report = dir.path + "/reports/2026-W47/kpis.json"
        let firstJSON = try String(contentsOfFile: report, encoding: .utf8)
        let second = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-25"])
        #expect(second.status == 0)
        #expect(second.stderr.contains("already loaded (same SHA-256), skipped"))
        #expect(try String(contentsOfFile: report, encoding: .utf8) == firstJSON)
        #expect(second.stderr.contains("reused the sample of 2026-W47"))
        #expect(first.stderr.contains("stage ingest: 11 files, 78 records"))  // the reports: CSV, JSON, surveys, evaluations
        #expect(first.stderr.contains("stage report: 2026-W47 draft written to"))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/reports/2026-W47/quality.json"))
        // Totals over the four systems' fixtures: 11 + 11 canonical (contacts, FCR repeats) + 7 inbound cloud calls + 6 French calls
        // + 7 inbound Amazon Connect contacts (2 abandoned).
        let object = try JSONSerialization.jsonObject(with: Data(firstJSON.utf8)) as! [String: Any]
        let kpis = (object["total"] as! [String: Any])["kpis"] as! [String: Any]
        // + 4 Genesys conversations (1 abandoned) + 4 Zendesk tickets.
        #expect(kpis["offered"] as? Int == 50)
        #expect(kpis["abandoned"] as? Int == 10)
        // The survey file added C8's and C11's answers: 4 satisfied of 6 canonical responses, a1's 4/5 from Connect,
        // and Zendesk's good, good, bad.
        #expect((kpis["csat"] as! [String: Any])["numerator"] as? Int == 7)
        #expect((kpis["csat"] as! [String: Any])["denominator"] as? Int == 10)
    }
}

/// Runs the built binary and returns its exit status and peak resident memory in KiB.
///
/// The peak is the child's own `VmHWM` from /proc, read while it runs: `ru_maxrss` from `wait4` would
/// also count the test process's memory, shared with the child between spawn and exec.
func peakMemory(_ arguments: [String]) throws -> (status: Int32, maxRSSKiB: Int) {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("contactqa").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: binary) ? binary : repositoryRoot + "/.build/debug/contactqa")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    var peak = 0
    while process.isRunning {
        if let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Int(line.split(separator: " ").dropFirst().first ?? "") {
            peak = max(peak, kib)
        }
        usleep(10_000)
    }
    process.waitUntilExit()
    return (process.terminationStatus, peak)
}

@Suite("Memory")
struct MemoryTests {
    /// Peak memory of a whole ingest must not grow with the file: five times the rows, about the same peak.
    @Test func ingestPeakMemoryIsFlatInTheNumberOfRows() throws {
        let dir = TemporaryDirectory()
        var peaks: [Int] = []
        for rows in [20_000, 100_000] {
            let file = dir.path + "/g\(rows).csv"
            try SyntheticExport(rows: rows, seed: 7).write(to: file)
            let result = try peakMemory(["ingest", "--store", dir.path + "/s\(rows).sqlite", "--timezone", "Europe/London",
                                         "--source", "canonical", "--key-file", fixture("keys/demo.key"), "--quiet", file])
            #expect(result.status == 0)
            peaks.append(result.maxRSSKiB)
        }
        // Measured here: about 40 MiB for both. The files are 2.4 and 12 MB.
        #expect(peaks[1] < peaks[0] + 8 * 1024, "peak RSS \(peaks[0]) KiB for 20k rows, \(peaks[1]) KiB for 100k rows")
        print("peak RSS: 20k rows \(peaks[0]) KiB, 100k rows \(peaks[1]) KiB")
    }

    /// The same for JSON Lines of Amazon Connect records: five times the records, about the same peak.
    @Test func jsonIngestPeakMemoryIsFlat() throws {
        let dir = TemporaryDirectory()
        var peaks: [Int] = []
        for count in [4_000, 20_000] {
            let file = dir.path + "/ctr\(count).jsonl"
            var text = ""
            for i in 0..<count {
                let minute = i % 1_440
                text += #"{"ContactId":"c\#(i)","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-11-17T\#(pad(minute / 60, 2)):\#(pad(minute % 60, 2)):00Z","#
                text += #""LastUpdateTimestamp":"2026-11-18T00:00:00Z","CustomerEndpoint":{"Address":"+4479\#(10_000_000 + i % 5_000)"},"#
                text += #""Queue":{"Name":"Q\#(i % 5)","EnqueueTimestamp":"2026-11-17T\#(pad(minute / 60, 2)):\#(pad(minute % 60, 2)):00Z","Duration":12},"#
                text += #""Agent":{"Username":"a\#(i % 40)","ConnectedToAgentTimestamp":"2026-11-17T\#(pad(minute / 60, 2)):\#(pad(minute % 60, 2)):12Z","AgentInteractionDuration":\#(100 + i % 300),"AfterContactWorkDuration":20}}"#
                text += "\n"
            }
            _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
            let result = try peakMemory(["ingest", "--store", dir.path + "/s\(count).sqlite", "--timezone", "Europe/London",
                                         "--source", "amazon-connect-ctr", "--key-file", fixture("keys/demo.key"), "--quiet", file])
            #expect(result.status == 0)
            peaks.append(result.maxRSSKiB)
        }
        #expect(peaks[1] < peaks[0] + 8 * 1024, "peak RSS \(peaks[0]) KiB for 4k records, \(peaks[1]) KiB for 20k records")
        print("peak RSS JSON: 4k records \(peaks[0]) KiB, 20k records \(peaks[1]) KiB")
    }
}

@Suite("Teams from the roster")
struct RosterTeamTests {
    /// A source without teams (a PBX log, a Zendesk ticket without group): the roster's team of the
    /// agent groups the KPIs; a team the source gives wins over the roster's.
    @Test func contactsWithoutTeamTakeTheirAgentsRosterTeam() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        let calls = dir.write("calls.csv", """
            interaction_id,channel,agent_id,team,arrived_at,abandoned,talk_s
            P1,voice,A1,,2026-11-17T09:00:00Z,false,300
            P2,voice,A1,,2026-11-17T10:00:00Z,false,100
            P3,voice,A3,Night shift,2026-11-17T11:00:00Z,false,200
            P4,voice,X9,,2026-11-17T12:00:00Z,false,400

            """)
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "canonical", "--key-file", fixture("keys/demo.key"), calls]).status == 0)
        #expect(try contactqa(["ingest", "--store", store, "--source", "roster", fixture("roster/agents.csv")]).status == 0)
        let result = try contactqa(["kpis", "--store", store, "--week", "2026-W47", "--by", "team", "--format", "json", "--as-of", "2026-12-01"])
        #expect(result.status == 0, "\(result.stderr)")
        let groups = (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any])["groups"] as! [[String: Any]]
        func handled(_ team: String?) -> Int? {
            groups.first { g in ((g["key"] as? [String: Any])?["team"] as? String) == team }.flatMap { ($0["kpis"] as? [String: Any])?["handled"] as? Int }
        }
        #expect(handled("Team A") == 2)        // A1's two calls: the roster's team
        #expect(handled("Night shift") == 1)   // the source's team, though the roster puts A3 in Team B
        #expect(handled("Team B") == nil)
        #expect(handled(nil) == 1)             // X9 is in no roster
    }
}

@Suite("contactqa sample")
struct SampleCommandTests {
    @Test func drawReuseVerifyAndSpot() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        let key = fixture("keys/demo.key")
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "canonical", "--key-file", key,
                               fixture("canonical/contacts_2026-W47.csv"), fixture("canonical/fcr_repeats.csv")]).status == 0)
        #expect(try contactqa(["ingest", "--store", store, "--source", "roster", fixture("roster/agents.csv")]).status == 0)
        let plan = repositoryRoot + "/pipelines/plans/weekly-routine.yaml"
        let draw = try contactqa(["sample", "--store", store, "--plan", plan, "--week", "2026-W47", "--out", dir.path + "/w47"])
        #expect(draw.status == 0, "\(draw.stderr)")
        #expect(draw.stderr.contains("drew "))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/w47/manifest.json"))) as! [String: Any]
        let excluded = (manifest["frame"] as! [String: Any])["excluded"] as! [String: Int]
        #expect(excluded["no_monitoring_notice"] == 1)  // C11
        let again = try contactqa(["sample", "draw", "--store", store, "--plan", plan, "--week", "2026-W47", "--out", dir.path + "/again"])
        #expect(again.stderr.contains("reused the recorded sample"))
        #expect(dir.read("again/sample.csv") == dir.read("w47/sample.csv"))
        let verify = try contactqa(["sample", "verify", dir.path + "/w47/manifest.json"])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("identical"))
        let late = dir.write("late.csv", "interaction_id,channel,agent_id,team,arrived_at,abandoned,talk_s\nNEW,voice,A1,Team A,2026-11-19T09:00:00Z,false,300\n")
        #expect(try contactqa(["ingest", "--store", store, "--source", "canonical", late]).status == 0)
        let changed = try contactqa(["sample", "verify", dir.path + "/w47/manifest.json", "--store", store])
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("late row: canonical|NEW|1"))
        let spot = try contactqa(["sample", "spot", "--store", store, "--week", "2026-W47", "--agent", "A1", "--n", "2", "--out", dir.path + "/spot"])
        #expect(spot.status == 0, "\(spot.stderr)")
        let badPlan = dir.write("bad.yaml", "strata: [colour]\nsize: {n: 3}\nseed: 1\n")
        let refused = try contactqa(["sample", "--store", store, "--plan", badPlan, "--week", "2026-W47", "--out", dir.path + "/x"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("bad.yaml:1: strata: cannot stratify on \"colour\""))
    }
}

@Suite("contactqa run: reports, drafts and finals, the lock")
struct RunnerTests {
    /// The demo pipeline with its store and reports in a temporary folder.
    static func pipeline(_ dir: TemporaryDirectory) throws -> String {
        let text = try String(contentsOfFile: repositoryRoot + "/pipelines/demo.yaml", encoding: .utf8)
            .replacingOccurrences(of: "../.contactqa/", with: dir.path + "/")
            .replacingOccurrences(of: "../fixtures/", with: repositoryRoot + "/fixtures/")
            .replacingOccurrences(of: "\"scorecards/", with: "\"" + repositoryRoot + "/pipelines/scorecards/")
            .replacingOccurrences(of: "plan: plans/", with: "plan: " + repositoryRoot + "/pipelines/plans/")
        return dir.write("demo.yaml", text)
    }

    /// The run's KPI files are what `contactqa kpis` prints for the week, byte for byte (on the demo, a
    /// mean's 95% interval read from the report's roll-ups would differ in its 15th digit).
    @Test func theRunsKPIFilesAreTheKPIsCommandsOwn() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"]).status == 0)
        for (by, suffix) in [(nil, ""), ("channel", "-by-channel"), ("team", "-by-team")] {
            for format in ["csv", "json"] {
                let printed = try contactqa(["kpis", "--store", dir.path + "/demo.sqlite", "--week", "2026-W47", "--as-of", "2026-12-01", "--format", format]
                                            + (by.map { ["--by", $0] } ?? []))
                #expect(printed.status == 0, "\(printed.stderr)")
                let written = try String(contentsOfFile: "\(dir.path)/reports/2026-W47/kpis\(suffix).\(format)", encoding: .utf8)
                #expect(written == printed.stdout, "kpis\(suffix).\(format)")
            }
        }
    }

    @Test func reportsAreByteIdenticalDraftsAreRewrittenFinalsLeftAlone() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        let folder = dir.path + "/reports/2026-W47"
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-25", "--quiet"]).status == 0)
        let draft = try String(contentsOfFile: folder + "/report.md", encoding: .utf8)
        #expect(draft.hasPrefix("# Weekly quality report — 2026-W47 (draft)"))
        #expect(draft.contains("| Service level | 63.0% |"))  // 29 of 46 (kpis.json of the same run)
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        // Self-contained: inline CSS and SVG, no script, nothing fetched from the network.
        // Two weeks of data, one of them a single contact: no trend chart pretends to show a trend.
        #expect(!html.contains("<svg") && html.contains("Not charted: 1 of the 13 weeks has at least 10 contacts; a chart needs 3."))
        #expect(!html.contains("<script") && !html.contains("https://") && !html.contains("src=") && !html.contains("<link"))
        #expect(!html.contains("+44") && !html.contains("@example"))  // no customer identifier anywhere
        // A second run the same day: the same bytes.
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-25", "--quiet"]).status == 0)
        for file in ["report.md", "report.html", "report.json", "kpis.json", "quality.json", "sample/manifest.json"] {
            #expect(try String(contentsOfFile: folder + "/" + file, encoding: .utf8).count > 0)
        }
        #expect(try String(contentsOfFile: folder + "/report.md", encoding: .utf8) == draft)
        // Past the FCR window the report becomes final; later runs leave it alone.
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"]).status == 0)
        let final = try String(contentsOfFile: folder + "/report.md", encoding: .utf8)
        #expect(final.hasPrefix("# Weekly quality report — 2026-W47 (final)"))
        let again = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-05"])
        #expect(again.stderr.contains("the final report of 2026-W47 exists; left as it is"))
        #expect(try String(contentsOfFile: folder + "/report.md", encoding: .utf8) == final)
        // No half-written folder is ever left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/reports") == ["2026-W47"])
    }

    @Test func aSecondConcurrentRunExits4() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        let lock = try RunLock(store: dir.path + "/demo.sqlite")
        let result = try contactqa(["run", pipeline, "--week", "2026-W47", "--quiet"])
        #expect(result.status == 4)
        #expect(result.stderr.contains("another run holds the store's lock"))
        withExtendedLifetime(lock) {}
    }

    @Test func anAbandonedWriteLeavesThePreviousFolderIntact() throws {
        let dir = TemporaryDirectory()
        let destination = dir.path + "/week"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        _ = dir.write("week/report.md", "previous")
        let staging = try AtomicFolder(destination: destination)
        _ = dir.write(".week.partial-\(getpid())/report.md", "half")
        staging.abandon()  // what a killed run amounts to: the staging folder never renamed
        #expect(dir.read("week/report.md") == "previous")
        #expect(!FileManager.default.fileExists(atPath: staging.staging))
        let next = try AtomicFolder(destination: destination)
        _ = dir.write(".week.partial-\(getpid())/report.md", "new")
        try next.commit()
        #expect(dir.read("week/report.md") == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["week"])
    }

    /// scripts/demo.sh's two nights: the first draws the sample, the QA team evaluates ten of the 21
    /// sampled interactions (fixtures/qa-inbox), the second loads them and the final report carries the
    /// design-weighted estimate. Tests/Reference/demo_qa.py (Python 3.11.7, PyYAML 6.0.3; no ContactQA
    /// code: scorecards, the evaluations and the first night's sample files; scipy 1.17.1 for the t
    /// quantile) gives QA score 70.3288317962, SE 13.3599209074 with the seven single-evaluation cells
    /// collapsed in pairs, 5 degrees of freedom, t = 2.570581835636, 95% CI 35.9860617861 to 104.6716018063.
    /// (Leaving the single-evaluation cells out of the variance, as before, gave SE 2.92 and 64.6–76.1.)
    @Test func theDemosSecondNightEstimatesQAFromTheSample() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-23", "--quiet"]).status == 0)
        let night1 = try String(contentsOfFile: dir.path + "/reports/2026-W47/report.md", encoding: .utf8)
        #expect(night1.contains("3 evaluations, 0 in the representative sample; QA score – (95% CI –)."))
        try FileManager.default.createDirectory(atPath: dir.path + "/inbox/qa", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture("qa-inbox/evaluations_2026-W47_sample.csv"),
                                         toPath: dir.path + "/inbox/qa/evaluations_2026-W47_sample.csv")
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"]).status == 0)
        let report = try String(contentsOfFile: dir.path + "/reports/2026-W47/report.md", encoding: .utf8)
        #expect(report.hasPrefix("# Weekly quality report — 2026-W47 (final)"))
        // The interval runs to 104.7 (below); a QA score lies in 0–100, so the report shows its end at 100.
        #expect(report.contains("13 evaluations, 10 in the representative sample; QA score 70.3 (95% CI 36.0–100.0, 5 df)."))
        #expect(report.contains("Sample coverage: 10 of 21 sampled interactions evaluated (48%); the plan asked for 21 from a frame of 25."))
        // Weakest criteria per scorecard: written-standard accuracy was rated 4 (S1, at its target 4)
        // and 3 (S2) → 1 of 2; voice-standard empathy over all 13 evaluations: E2 4, E3 3, S3 4, S4 3, S5 2,
        // S7 5, S8 3, S9 4, S10 4 (E1 and S6 N/A) → 5 of 9 at its target 4 (counted with Python's csv module).
        #expect(report.contains("- Answers every question accurately: 50% (1 of 2)"))
        let json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/reports/2026-W47/report.json"))) as? [String: Any])
        let weakest = try #require(json["weakest_criteria"] as? [[String: Any]])
        #expect(weakest.contains { $0["criterion"] as? String == "voice-standard/empathy" && $0["ratings"] as? Int == 9 && $0["at_target"] as? Int == 5 })
        let store = try SQLiteStore(path: dir.path + "/demo.sqlite")
        let period = Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!)
        let quality = try QualityEngine(store: store).report(period: period, groupBy: .team)
        let overall = try #require(QualityEngine.hajek(quality.evaluations.filter { $0.inSample && $0.score != nil }) { _ in true })
        #expect(abs(overall.value - 70.3288317962) < 1e-9)
        #expect(abs(try #require(overall.se) - 13.3599209074) < 1e-9)
        #expect(overall.n == 10)
        #expect(overall.degreesOfFreedom == 5)
        #expect(abs(try #require(overall.ci95).lower - 35.9860617861) < 1e-9)
        #expect(abs(try #require(overall.ci95).upper - 104.6716018063) < 1e-9)
    }

    /// `privacy.agent_names: false`: the report folder (what management receives) names no colleague —
    /// pseudonymous labels, stable with the site key — and the QA working files that must name them
    /// (sample, feedback packs) go to `report.qa_out`. Without `qa_out` the pipeline is refused.
    @Test func hiddenAgentNamesLeaveTheReportFolderAndTheQAFilesKeepThem() throws {
        let dir = TemporaryDirectory()
        let demo = try String(contentsOfFile: try RunnerTests.pipeline(dir), encoding: .utf8)
        let hidden = demo.replacingOccurrences(of: "agent_names: true", with: "agent_names: false")
        #expect(hidden != demo)
        let refused = try contactqa(["run", dir.write("no-qa-out.yaml", hidden), "--week", "2026-W47", "--quiet"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("agent_names: false keeps the QA working files (sample, feedback packs, which name colleagues) out of the report folder: set report.qa_out"))

        let pipeline = dir.write("hidden.yaml", hidden.replacingOccurrences(of: "report: {out: ", with: "report: {qa_out: \"\(dir.path)/qa/{week}\", out: "))
        let result = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let reports = dir.path + "/reports/2026-W47"
        let fm = FileManager.default
        let names = ["jsmith", "akhan", "mlee", "claire.m", "hugo.b", "alice", "carol", "\"A1\"", ",A1,", "A3"]
        for file in try fm.subpathsOfDirectory(atPath: reports) where file.contains(".") {
            let text = try String(contentsOfFile: reports + "/" + file, encoding: .utf8)
            for name in names { #expect(!text.contains(name), "\(file) names \(name)") }
        }
        #expect(!fm.fileExists(atPath: reports + "/sample") && !fm.fileExists(atPath: reports + "/feedback"))
        let key = try Pseudonymiser.load(keyFile: repositoryRoot + "/fixtures/keys/demo.key")
        let byAgent = try String(contentsOfFile: reports + "/kpis-by-agent.csv", encoding: .utf8)
        // Computed once with Python's hmac over the demo key: hmac.new(key, b"agent:jsmith", sha256).digest()[:4].hex().
        #expect(key.agentLabel(for: "jsmith") == "agent-510ffe82")
        #expect(key.agentLabel(for: "akhan") == "agent-6d899695")
        #expect(byAgent.contains(",agent-510ffe82,") && byAgent.contains(",agent-6d899695,"))
        // The QA team's files keep the ids they act on.
        #expect(try String(contentsOfFile: dir.path + "/qa/2026-W47/sample/sample.csv", encoding: .utf8).contains(",jsmith,"))
        #expect(fm.fileExists(atPath: dir.path + "/qa/2026-W47/feedback"))
        #expect(try String(contentsOfFile: reports + "/report.md", encoding: .utf8).contains("Sample coverage: 0 of 21 sampled interactions evaluated"))
    }

    /// DESIGN.md §7's `report.formats`, `report.feedback_packs` and top-level `scorecards:` do what they say.
    @Test func formatsFeedbackPacksAndScorecardsKeysAreHonoured() throws {
        let dir = TemporaryDirectory()
        let demo = try String(contentsOfFile: try RunnerTests.pipeline(dir), encoding: .utf8)
        let scorecardInput = "  - {source: scorecard, path: \"\(repositoryRoot)/pipelines/scorecards/*.yaml\"}\n"
        #expect(demo.contains(scorecardInput))
        let text = demo.replacingOccurrences(of: scorecardInput, with: "")
            .replacingOccurrences(of: "inputs:\n", with: "scorecards: [\"\(repositoryRoot)/pipelines/scorecards/*.yaml\"]\ninputs:\n")
            .replacingOccurrences(of: "report: {out: ", with: "report: {formats: [html, csv], feedback_packs: false, out: ")
        let pipeline = dir.write("formats.yaml", text)
        let first = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let folder = dir.path + "/reports/2026-W47"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(files == [".status", "kpis-by-agent.csv", "kpis-by-channel.csv", "kpis-by-team.csv", "kpis.csv", "report.html", "sample"])
        // The scorecards registered before the evaluations loaded: all three evaluations are in.
        #expect(try String(contentsOfFile: folder + "/report.html", encoding: .utf8).contains("3 evaluations, 0 in the representative sample"))
        // A final report without report.json is still left alone.
        let again = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-05"])
        #expect(again.stderr.contains("the final report of 2026-W47 exists; left as it is"))

        let bad = try contactqa(["run", dir.write("bad-format.yaml", text.replacingOccurrences(of: "formats: [html, csv]", with: "formats: [html, pdf]")),
                                 "--week", "2026-W47", "--quiet"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("unknown report format \"pdf\"; the formats are csv, html, json, md"))
    }

    /// Bad pipelines fail before the store is touched, with the pipeline's file, line and key, and exit 2.
    @Test func badPipelinesFailBeforeTheStoreIsTouched() throws {
        let dir = TemporaryDirectory()
        let good = try String(contentsOfFile: try RunnerTests.pipeline(dir), encoding: .utf8)
        func run(_ text: String) throws -> CommandResult {
            try contactqa(["run", dir.write("bad.yaml", text), "--week", "2026-W47", "--quiet"])
        }
        let typo = try run(good.replacingOccurrences(of: "timezone:", with: "timezon:"))
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("bad.yaml:6: unknown key \"timezon\" (did you mean \"timezone\"?)"))

        let nothing = try run(good.replacingOccurrences(of: "cloud-callcenter/*.csv", with: "cloud-callcenter/*.cvs"))
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("bad.yaml:10: inputs.[1].path: \"\(repositoryRoot)/fixtures/cloud-callcenter/*.cvs\" matches no file"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/demo.sqlite"))

        _ = dir.write("not-a-folder", "")
        let unwritable = try run(good.replacingOccurrences(of: dir.path + "/reports/{week}", with: dir.path + "/not-a-folder/reports/{week}"))
        #expect(unwritable.status == 2)
        #expect(unwritable.stderr.contains("bad.yaml:24: report.out: cannot write report folders: \(dir.path)/not-a-folder/reports: Not a directory"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/demo.sqlite"))

        // An input that may deliver nothing says so, and the run goes on.
        let optionalText = good.replacingOccurrences(of: "path: \"\(repositoryRoot)/fixtures/cloud-callcenter/*.csv\", complete: true}",
                                                     with: "path: \"\(repositoryRoot)/fixtures/cloud-callcenter/*.cvs\", optional: true}")
        #expect(optionalText.contains("*.cvs\", optional: true}"))
        let optional = try run(optionalText)
        #expect(optional.status == 0, "\(optional.stderr)")
    }

    /// The demo week's headline numbers against Tests/Reference/demo_headline.py, which reads the raw
    /// fixture exports with Python's csv/json modules and maps them by docs/sources.md, with no
    /// ContactQA code (run once, Python 3.11.7; its output is recorded here):
    ///   offered 50  handled 40  abandoned 10  short_abandoned 4; abandonment_rate 6/46;
    ///   service_level 29/46; transfer_rate 4/40; fcr 26/37; csat 7/10; nps 3 promoters, 1 detractor
    ///   of 5; asa_s 878.2350 over 40; aht_s 333.3725 over 40 legs, p90 600.
    @Test func demoHeadlineMatchesTheIndependentReference() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"]).status == 0)
        let folder = dir.path + "/reports/2026-W47"
        let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/report.json"))) as? [String: Any])
        let k = try #require(((report["kpis"] as? [String: Any])?["total"] as? [String: Any])?["kpis"] as? [String: Any])
        #expect(k["offered"] as? Int == 50 && k["handled"] as? Int == 40 && k["abandoned"] as? Int == 10 && k["short_abandoned"] as? Int == 4)
        func rate(_ name: String) -> [Int] {
            let r = k[name] as? [String: Any]
            return [r?["numerator"] as? Int ?? -1, r?["denominator"] as? Int ?? -1]
        }
        #expect(rate("abandonment_rate") == [6, 46])
        #expect(rate("service_level") == [29, 46])
        #expect(rate("transfer_rate") == [4, 40])
        #expect(rate("fcr") == [26, 37])
        #expect(rate("csat") == [7, 10])
        let nps = try #require(k["nps"] as? [String: Any])
        #expect(nps["promoters"] as? Int == 3 && nps["detractors"] as? Int == 1 && nps["responses"] as? Int == 5)
        let asa = try #require(k["asa_s"] as? [String: Any])
        #expect(abs((asa["value"] as? Double ?? 0) - 878.2350) < 1e-4 && asa["n"] as? Int == 40)
        let aht = try #require(k["aht_s"] as? [String: Any])
        #expect(abs((aht["value"] as? Double ?? 0) - 333.3725) < 1e-4 && aht["n"] as? Int == 40 && aht["p90"] as? Double == 600)
        // The same numbers, as managers read them.
        let markdown = try String(contentsOfFile: folder + "/report.md", encoding: .utf8)
        for line in ["| Service level | 63.0% |", "| Abandonment rate | 13.0% |", "| Transfer rate | 10.0% |",
                     "| First contact resolution | 70.3% |", "| Customer satisfaction (CSAT) | 70.0% |",
                     "| Average handle time | 333 s |", "| Average speed of answer | 878 s |"] {
            #expect(markdown.contains(line), "report.md lacks \(line)")
        }
    }

    /// A real run, killed with SIGKILL after it staged a new draft and before it swapped it in:
    /// the previous draft is untouched, and the next run removes the leftover staging folder.
    @Test func aRunKilledMidWriteLeavesThePreviousReportAndNoPartialFolder() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        let reports = dir.path + "/reports"
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-24", "--quiet"]).status == 0)
        let previous = try String(contentsOfFile: reports + "/2026-W47/report.json", encoding: .utf8)

        let binary = try contactqaBinary()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-25", "--quiet", "--stop-before-commit"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        let deadline = Date().addingTimeInterval(60)
        func state() -> Character? {  // the field after "(comm)" in /proc/PID/stat
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            return stat[stat.index(close, offsetBy: 2)]
        }
        while state() != "T" && process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(state() == "T", "the run never reached the point before the swap")
        let staged = try FileManager.default.contentsOfDirectory(atPath: reports).filter { $0.hasPrefix(".2026-W47.partial-") }
        #expect(staged.count == 1)
        kill(pid, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(try String(contentsOfFile: reports + "/2026-W47/report.json", encoding: .utf8) == previous)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-25", "--quiet"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: reports) == ["2026-W47"])
        #expect(try String(contentsOfFile: reports + "/2026-W47/report.json", encoding: .utf8).contains("\"as_of\": \"2026-11-25\""))
    }

    /// report.html opened in headless Chromium (scripts/check-report-html.py): it renders, logs no
    /// console error, requests nothing, fits a phone and prints; broken copies of it fail the check.
    /// Skips with a message when Chromium is missing, except under CI=true, where that fails.
    @Test func theHTMLReportPassesInARealBrowser() throws {
        guard let chromium = try Chromium.executable() else { return }
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"]).status == 0)
        let checked = try Chromium.check(["--self-test", "--chromium", chromium, dir.path + "/reports/2026-W47/report.html"])
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stderr.contains("self-test passed"))
    }

    @Test func anEmptyWeekStillGetsAReportThatSaysSo() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W30", "--as-of", "2026-12-01", "--quiet"]).status == 0)
        let report = try String(contentsOfFile: dir.path + "/reports/2026-W30/report.md", encoding: .utf8)
        #expect(report.contains("**No inbound contacts this week.**"))
    }
}

