@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// A site played night after night as cron runs it: `contactqa run` with the as-of date advancing one
/// day at a time and each day's exports of two systems arriving the next morning.
@Suite("The nightly job over several weeks", .tags(.slow))
struct NightlySiteTests {
    /// Two sources: the main platform's canonical exports and a PBX's call log (CSV with a mapping).
    static let pipelineText = """
        name: site
        timezone: Europe/London
        store: store.sqlite
        inputs:
          - {source: canonical, path: "inbox/main/*.csv"}
          - {source: csv, mapping: pbx.yaml, path: "inbox/pbx/*.csv", optional: true}
        privacy: {key_file: site.key}
        kpis: {fcr: {window_days: 7, match: customer}}
        sampling: {plan: plan.yaml}
        report: {out: "reports/{week}", formats: [md, json]}

        """

    static let pbxMapping = """
        name: pbx
        source: pbx
        timezone: Europe/London
        fields:
          interaction_id: id
          arrived_at: {column: time, format: "yyyy-MM-dd HH:mm:ss"}
          channel: {value: voice}
          agent_id: agent
          team: team
          customer_id: caller
          wait_s: wait
          talk_s: talk
          abandoned: abandoned
          monitoring_notice: {value: "true"}

        """

    static let plan = """
        name: nightly-routine
        frame:
          direction: inbound
          exclude: {unacknowledged_agents: false, already_evaluated: true}
        strata: []
        size: {n: 6}
        allocation: proportional
        method: fixed
        seed: 7

        """

    /// Six contacts a day per source, 09:00 to 11:30 local time (UTC in November); the sixth abandoned.
    /// Customers come from a pool of eight per source, so repeats (and FCR) span weeks.
    static func exports(of day: LocalDate) -> (main: String, pbx: String) {
        var main = "interaction_id,leg,channel,direction,queue,team,agent_id,customer_id,arrived_at,wait_s,abandoned,talk_s,monitoring_notice\n"
        var pbx = "id,time,agent,team,caller,wait,talk,abandoned\n"
        for i in 0..<6 {
            let abandoned = i == 5
            let agent = abandoned ? "" : "A\(1 + (day.dayNumber + i) % 4)"
            let team = abandoned ? "" : (agent == "A1" || agent == "A2" ? "Team 1" : "Team 2")
            let time = "\(day)T\(9 + i / 2 < 10 ? "0" : "")\(9 + i / 2):\(i % 2 == 0 ? "00" : "30"):00Z"
            let customer = "+44 20 7946 \(1000 + (day.dayNumber * 3 + i) % 8)"
            main += "M\(day.dayNumber)-\(i),1,voice,inbound,Sales,\(team),\(agent),\(customer),\(time),\(10 + i),\(abandoned),\(abandoned ? "" : String(120 + 10 * i)),true\n"
            let local = time.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
            pbx += "P\(day.dayNumber)-\(i),\(local),\(agent),\(team),+44 161 496 \(2000 + (day.dayNumber + i) % 8),\(5 + i),\(abandoned ? 0 : 90 + i),\(abandoned)\n"
        }
        return (main, pbx)
    }

    struct Site {
        let dir = TemporaryDirectory()
        var pipeline: String { dir.path + "/site.yaml" }

        init() throws {
            dir.write("site.yaml", NightlySiteTests.pipelineText)
            dir.write("pbx.yaml", NightlySiteTests.pbxMapping)
            dir.write("plan.yaml", NightlySiteTests.plan)
            try FileManager.default.copyItem(atPath: fixture("keys/demo.key"), toPath: dir.path + "/site.key")
            for folder in ["inbox/main", "inbox/pbx"] {
                try FileManager.default.createDirectory(atPath: dir.path + "/" + folder, withIntermediateDirectories: true)
            }
        }

        /// The morning of `asOf`: yesterday's exports arrive (the PBX's only up to `pbxUntil`), then cron runs.
        func night(_ asOf: LocalDate, pbxUntil: LocalDate? = nil, deliver: Bool = true) throws -> CommandResult {
            if deliver {
                let day = asOf.adding(days: -1)
                let files = NightlySiteTests.exports(of: day)
                dir.write("inbox/main/calls-\(day).csv", files.main)
                if pbxUntil.map({ day <= $0 }) ?? true { dir.write("inbox/pbx/pbx-\(day).csv", files.pbx) }
            }
            return try contactqa(["run", pipeline, "--as-of", asOf.description, "--quiet"])
        }

        func status(_ week: String) -> String? {
            dir.read("reports/\(week)/.status")?.split(separator: "\n").first.map(String.init)
        }

        func manifest(_ week: String) -> String? { dir.read("reports/\(week)/sample/manifest.json") }
    }

    /// Three weeks (W45–W47 of 2026) and a fourth begun. The PBX stops delivering after Saturday 21
    /// November; on 26 November the site declares it retired from that day.
    ///
    /// What each week must do, worked out by hand from the rules (data arrives the next morning):
    /// - W45 (2–8 Nov): frame complete once both sources hold a contact on or after Monday 9 Nov,
    ///   loaded on the 10th: the sample is drawn that night, never before, then reused unchanged.
    ///   Final once both hold one on or after 16 Nov (end + 7-day window), loaded on the 17th.
    /// - W46 (9–15 Nov): sample on the 17th. Final would need the PBX on or after 23 Nov, which never
    ///   comes: a draft naming the PBX, until the PBX is declared retired (26 Nov): final that night.
    /// - W47 (16–22 Nov): the PBX holds data up to the 21st only, so the frame is incomplete and no
    ///   sample is drawn until the PBX is retired; then drawn on the 26th.
    @Test func weeksAreSampledOnceWhenCompleteAndFinalisedWhenTheirDataSaysSo() throws {
        let site = try Site()
        let first = LocalDate(iso: "2026-11-03")!
        let pbxStop = LocalDate(iso: "2026-11-21")!
        var w45Sample: String?
        var w46Sample: String?
        for offset in 0..<23 {  // as-of 3 … 25 November
            let asOf = first.adding(days: offset)
            let result = try site.night(asOf, pbxUntil: pbxStop)
            #expect(result.status == 0, "night of \(asOf): \(result.stderr)")
            // W45's sample: absent before the 10th, then drawn once and reused byte for byte.
            if asOf < LocalDate(iso: "2026-11-10")! {
                #expect(site.manifest("2026-W45") == nil, "W45 sample drawn too early, on \(asOf)")
            } else {
                let manifest = try #require(site.manifest("2026-W45"), "no W45 sample on \(asOf)")
                if let w45Sample { #expect(manifest == w45Sample, "W45 sample changed on \(asOf)") } else { w45Sample = manifest }
            }
            #expect(site.status("2026-W45") == (asOf < LocalDate(iso: "2026-11-17")! ? "draft" : "final"), "W45 on \(asOf)")
            if asOf >= LocalDate(iso: "2026-11-10")! {
                if asOf < LocalDate(iso: "2026-11-17")! {
                    #expect(site.manifest("2026-W46") == nil, "W46 sample drawn too early, on \(asOf)")
                } else {
                    let manifest = try #require(site.manifest("2026-W46"))
                    if let w46Sample { #expect(manifest == w46Sample) } else { w46Sample = manifest }
                }
                #expect(site.status("2026-W46") == "draft", "W46 on \(asOf)")
            }
            if asOf >= LocalDate(iso: "2026-11-17")! {
                #expect(site.manifest("2026-W47") == nil, "W47 sample drawn from an incomplete week on \(asOf)")
                #expect(site.status("2026-W47") == "draft")
            }
        }
        // The frame is the whole week: 7 days × 2 sources × 5 handled contacts, one leg each.
        let w45 = try JSONSerialization.jsonObject(with: Data(try #require(w45Sample).utf8)) as! [String: Any]
        #expect((w45["frame"] as! [String: Any])["units"] as? Int == 70)
        // Why W46 is still a draft, in the report itself.
        let w46 = try #require(site.dir.read("reports/2026-W46/report.md"))
        #expect(w46.contains("This report stays a draft until the week's data is complete:"))
        #expect(w46.contains("- pbx: data up to 2026-11-21, 2 days short of 2026-11-23"))
        // The PBX is retired: W46 becomes final, W47's frame is complete and its sample drawn.
        site.dir.write("site.yaml", NightlySiteTests.pipelineText + "schedule: {retired_sources: {pbx: 2026-11-21}}\n")
        let retired = try site.night(LocalDate(iso: "2026-11-26")!, pbxUntil: pbxStop)
        #expect(retired.status == 0, "\(retired.stderr)")
        #expect(site.status("2026-W46") == "final")
        #expect(site.manifest("2026-W47") != nil)
        #expect(site.status("2026-W47") == "draft")
        // A final week is left alone, and the clock may not go back.
        let back = try contactqa(["run", site.pipeline, "--as-of", "2026-11-20", "--quiet"])
        #expect(back.status == 2)
        #expect(back.stderr.contains("the as-of date 2026-11-20 is earlier than the last nightly run's 2026-11-26"))
    }

    /// A day missing from a source that delivers every day keeps the week a draft, named in the report.
    @Test func aMissingDayIsAGapAndTheWeekStaysDraft() throws {
        let site = try Site()
        // Both sources up to 1 December, but the PBX's file of Wednesday 18 November never arrives.
        for offset in 0..<30 {
            let asOf = LocalDate(iso: "2026-11-03")!.adding(days: offset)
            let day = asOf.adding(days: -1)
            let files = NightlySiteTests.exports(of: day)
            site.dir.write("inbox/main/calls-\(day).csv", files.main)
            if day.description != "2026-11-18" { site.dir.write("inbox/pbx/pbx-\(day).csv", files.pbx) }
        }
        let run = try contactqa(["run", site.pipeline, "--as-of", "2026-12-02", "--week", "2026-W47", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(site.status("2026-W47") == "draft")
        let report = try #require(site.dir.read("reports/2026-W47/report.md"))
        #expect(report.contains("pbx: no contacts at all on 2026-11-18 (a Wednesday, a day it delivers on other weeks)"))
        #expect(report.contains("- gap: pbx: no contacts on 2026-11-18"))
        // A site closed that day says so, and the week can be final.
        site.dir.write("site.yaml", NightlySiteTests.pipelineText + "schedule: {closed_days: [2026-11-18]}\n")
        #expect(try contactqa(["run", site.pipeline, "--as-of", "2026-12-02", "--week", "2026-W47", "--quiet"]).status == 0)
        #expect(site.status("2026-W47") == "final")
    }

    /// A rejected file exits 3 the night it arrives; later nights skip the same bytes with a warning
    /// (exit 0) and the report lists it until a corrected file loads.
    @Test func aRejectedFileFailsOneNightNotEveryNight() throws {
        let site = try Site()
        #expect(try site.night(LocalDate(iso: "2026-11-10")!).status == 0)
        site.dir.write("inbox/pbx/broken.csv", "id,time,agent,team,caller,wait,talk,abandoned\nX1,not a time,A1,Team 1,+44 161 496 0000,1,2,false\n")
        let rejected = try site.night(LocalDate(iso: "2026-11-11")!)
        #expect(rejected.status == 3)
        let next = try site.night(LocalDate(iso: "2026-11-12")!)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("broken.csv: rejected on "))
        #expect(next.stderr.contains("the same bytes are skipped until a corrected file arrives"))
        let report = try #require(site.dir.read("reports/2026-W46/report.md"))
        #expect(report.contains("- file not loaded: broken.csv (pbx, rejected on "))
        // No customer number in the warning or the report.
        #expect(!next.stderr.contains("496 0000") && !report.contains("496 0000"))
        // The corrected file loads and the line goes.
        site.dir.write("inbox/pbx/broken.csv", "id,time,agent,team,caller,wait,talk,abandoned\nX1,2026-11-11 10:00:00,A1,Team 1,+44 161 496 0000,1,2,false\n")
        #expect(try site.night(LocalDate(iso: "2026-11-13")!).status == 0)
        #expect(!(try #require(site.dir.read("reports/2026-W46/report.md"))).contains("file not loaded"))
    }

    /// Retention never deletes what a week still reported needs.
    @Test func retentionKeepsTheWeeksStillReported() throws {
        let site = try Site()
        site.dir.write("site.yaml", NightlySiteTests.pipelineText.replacingOccurrences(of: "privacy: {key_file: site.key}",
                                                                                         with: "privacy: {key_file: site.key, retention_days: 3}"))
        for offset in 0..<12 { _ = try site.night(LocalDate(iso: "2026-11-03")!.adding(days: offset)) }
        // As of 14 November the look-back (4 weeks) reaches back to W42: nothing since 2 Nov is deleted,
        // although the retention limit alone (3 days) would keep only 11 November on.
        let kpis = try contactqa(["kpis", "--store", site.dir.path + "/store.sqlite", "--week", "2026-W45", "--format", "json"])
        let total = (try JSONSerialization.jsonObject(with: Data(kpis.stdout.utf8)) as! [String: Any])["total"] as! [String: Any]
        #expect((total["kpis"] as! [String: Any])["offered"] as? Int == 84)
    }
}

@Suite("A pipeline a site can start with")
struct PipelineTemplateTests {
    /// pipelines/weekly-qa.yaml copied beside a site's first exports (the fixtures), with no QA files
    /// yet: `run --check` finds nothing to mend, and the first night runs and says what is absent.
    @Test func theTemplateRunsOnTheFirstNightWithoutQAFiles() throws {
        let dir = TemporaryDirectory()
        let fm = FileManager.default
        func copy(_ from: String, _ to: String) throws {
            try fm.createDirectory(atPath: (dir.path + "/" + to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: from, toPath: dir.path + "/" + to)
        }
        try copy(repositoryRoot + "/pipelines/weekly-qa.yaml", "weekly-qa.yaml")
        try copy(fixture("amazon-connect/ctr-2026-11-18.json"), "inbox/connect/ctr-2026-11-18.json")
        for file in ["conversations-2026-11-19.json", "queues.json", "users.json", "wrapupcodes.json"] {
            try copy(fixture("genesys/" + file), "inbox/genesys/" + file)
        }
        try copy(fixture("zendesk/tickets-2026-11-18.json"), "inbox/zendesk/tickets-2026-11-18.json")
        try copy(fixture("cloud-callcenter/call_log_2026-11-16.csv"), "inbox/telephony/call_log_2026-11-16.csv")
        try copy(fixture("cloud-callcenter/mapping.yaml"), "mappings/telephony.yaml")
        try copy(fixture("surveys/mapping.yaml"), "mappings/csat.yaml")
        try copy(fixture("roster/agents.csv"), "inbox/roster.csv")
        try copy(repositoryRoot + "/pipelines/scorecards/voice-standard.yaml", "scorecards/voice-standard.yaml")
        try copy(repositoryRoot + "/pipelines/plans/weekly-routine.yaml", "plans/weekly-routine.yaml")
        try fm.createDirectory(atPath: dir.path + "/secrets", withIntermediateDirectories: true)
        #expect(try contactqa(["ingest", "generate-key", dir.path + "/secrets/site.key"]).status == 0)
        // The exports were written an hour ago: past the template's settle_s.
        let enumerator = fm.enumerator(atPath: dir.path + "/inbox")
        while let file = enumerator?.nextObject() as? String {
            try fm.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: dir.path + "/inbox/" + file)
        }

        let check = try contactqa(["run", dir.path + "/weekly-qa.yaml", "--check"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("no problem found"))
        #expect(!fm.fileExists(atPath: dir.path + "/data"))  // --check touches nothing

        let night = try contactqa(["run", dir.path + "/weekly-qa.yaml", "--as-of", "2026-11-24"])
        #expect(night.status == 0, "\(night.stderr)")
        #expect(night.stderr.contains("evaluations input \(dir.path)/inbox/qa/*.csv: no file tonight"))
        #expect(dir.read("reports/2026-W47/.status")?.hasPrefix("draft\n") == true)
        #expect(night.stderr.contains("run of 2026-11-24: 2026-W47 draft"))
    }

    /// `run --check` lists every problem of a pipeline in one pass, with file and line, and exits 2
    /// without creating the store or any folder.
    @Test func checkListsEveryProblemAtOnce() throws {
        let dir = TemporaryDirectory()
        let text = try String(contentsOfFile: try RunnerTests.pipeline(dir), encoding: .utf8)
            .replacingOccurrences(of: "timezone: Europe/London", with: "timezone: Europe/Londres")
            .replacingOccurrences(of: "cloud-callcenter/*.csv", with: "cloud-callcenter/*.cvs")
            .replacingOccurrences(of: "fixtures/eu-telephony/mapping.yaml", with: "fixtures/eu-telephony/mapping.yml")
            .replacingOccurrences(of: "retention_days: 400", with: "retention_days: 0")
            .replacingOccurrences(of: "targets: {", with: "targest: {")
        let pipeline = dir.write("five.yaml", text)
        let result = try contactqa(["run", pipeline, "--check"])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "contactqa: error: 5 problems:", "\(result.stderr)")
        #expect(lines.contains { $0.contains("five.yaml:6: timezone: unknown time zone \"Europe/Londres\"") })
        #expect(lines.contains { $0.contains("five.yaml:11: inputs.[2].mapping: mapping file") && $0.contains("mapping.yml does not exist") })
        #expect(lines.contains { $0.contains("five.yaml:20: privacy.retention_days: retention_days must be at least 1") })
        #expect(lines.contains { $0.contains("five.yaml:22: unknown key \"targest\" (did you mean \"targets\"?)") })
        #expect(lines.contains { $0.contains("five.yaml:10: inputs.[1].path:") && $0.contains("*.cvs\" matches no file") })
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/demo.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/reports"))
    }
}

@Suite("Delivery of the nightly job's files")
struct RunDeliveryTests {
    /// `report.mode` makes the report folder readable by a group (a share the manager's account reads);
    /// `log.path` keeps every run's log lines in a file as well as on standard error.
    @Test func reportModeAndLogFile() throws {
        let site = try NightlySiteTests.Site()
        site.dir.write("site.yaml", NightlySiteTests.pipelineText.replacingOccurrences(of: "formats: [md, json]}", with: "formats: [md, json], mode: \"0640\"}")
            + "log: {path: logs/contactqa.log}\n")
        for offset in 0..<9 { #expect(try site.night(LocalDate(iso: "2026-11-03")!.adding(days: offset)).status == 0) }
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: site.dir.path + "/" + path)[.posixPermissions] as! NSNumber).intValue
        }
        #expect(try mode("reports/2026-W45") == 0o750)
        #expect(try mode("reports/2026-W45/report.md") == 0o640)
        #expect(try mode("reports/2026-W45/sample") == 0o750)
        #expect(try mode("reports/2026-W45/sample/sample.csv") == 0o640)
        // The store stays owner-only.
        #expect(try mode("store.sqlite") == 0o600)
        let log = try #require(site.dir.read("logs/contactqa.log"))
        #expect(log.contains("run of 2026-11-03: 2026-W45 draft\n"))
        #expect(log.contains("run of 2026-11-11: 2026-W45 draft, 2026-W46 draft\n"))
        #expect(!log.contains("+44"))
    }
}

@Suite("Late QA work")
struct LateEvaluationTests {
    /// The demo week is final on 1 December with only the three evaluations made before the draw; the
    /// QA team's ten evaluations of the sample arrive on the 3rd. The report is re-issued with a
    /// revision line, the final version kept in previous/2026-12-01/, the KPIs unchanged; later nights
    /// leave it alone, and evaluations arriving after the 14 days they are awaited change nothing.
    @Test func lateEvaluationsReviseTheQualitySectionOfAFinalReport() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        let folder = dir.path + "/reports/2026-W47"
        #expect(try contactqa(["run", pipeline, "--as-of", "2026-11-23", "--quiet"]).status == 0)
        #expect(try contactqa(["run", pipeline, "--as-of", "2026-12-01", "--quiet"]).status == 0)
        let final = try #require(dir.read("reports/2026-W47/report.md"))
        let finalKPIs = try #require(dir.read("reports/2026-W47/kpis.json"))
        #expect(final.hasPrefix("# Weekly quality report — 2026-W47 (final)"))
        #expect(final.contains("3 evaluations, 0 in the representative sample; QA score – (95% CI –)."))

        try FileManager.default.createDirectory(atPath: dir.path + "/inbox/qa", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture("qa-inbox/evaluations_2026-W47_sample.csv"),
                                         toPath: dir.path + "/inbox/qa/evaluations_2026-W47_sample.csv")
        let late = try contactqa(["run", pipeline, "--as-of", "2026-12-03", "--quiet"])
        #expect(late.status == 0)
        #expect(late.stderr.contains("2026-W47: final report revised: 10 late evaluations; the previous version is in previous/2026-12-01/"))
        let revised = try #require(dir.read("reports/2026-W47/report.md"))
        #expect(revised.hasPrefix("# Weekly quality report — 2026-W47 (final, revised)"))
        #expect(revised.contains("**Revised 2026-12-03: 10 evaluations added; QA score – → 70.3. The version of 2026-12-01 is kept in previous/2026-12-01/.**"))
        // The same estimate as the demo's second night (checked there against Tests/Reference/demo_qa.py).
        #expect(revised.contains("13 evaluations, 10 in the representative sample; QA score 70.3 (95% CI 36.0–100.0, 5 df)."))
        #expect(dir.read("reports/2026-W47/previous/2026-12-01/report.md") == final)
        #expect(dir.read("reports/2026-W47/kpis.json") == finalKPIs)
        let json = try JSONSerialization.jsonObject(with: Data(try #require(dir.read("reports/2026-W47/report.json")).utf8)) as! [String: Any]
        let revisions = json["revisions"] as! [[String: Any]]
        #expect(revisions.count == 1)
        #expect(revisions[0]["evaluations_before"] as? Int == 3 && revisions[0]["evaluations_after"] as? Int == 13)
        #expect(revisions[0]["kpis_changed"] as? Bool == false)
        // The feedback packs carry the new evaluations too.
        let packs = try FileManager.default.subpathsOfDirectory(atPath: folder + "/feedback").filter { $0.hasSuffix(".md") }
        #expect(!packs.isEmpty)

        // Nothing new: left alone.
        #expect(try contactqa(["run", pipeline, "--as-of", "2026-12-04", "--quiet"]).status == 0)
        #expect(dir.read("reports/2026-W47/report.md") == revised)
        // An evaluation arriving after 1 December + 14 days changes nothing, with a warning.
        dir.write("inbox/qa/late.csv", """
            evaluation_id,interaction_id,leg,evaluator_id,evaluated_at,scorecard_id,scorecard_version,criterion_id,rating,comment
            S99,C6,1,Q2,2026-12-16,written-standard,1,greeting,no,

            """)
        let tooLate = try contactqa(["run", pipeline, "--as-of", "2026-12-16", "--quiet"])
        #expect(tooLate.status == 0)
        #expect(tooLate.stderr.contains("2026-W47: 1 evaluations changed after the 14 days they were awaited (final report of 2026-12-01); the report is left as it is"))
        #expect(dir.read("reports/2026-W47/report.md") == revised)
    }
}

extension LateEvaluationTests {
    /// A late contact row changes a final week's KPIs only together with a revision that says so.
    @Test func aRevisionSaysWhenTheKPIsMovedToo() throws {
        let dir = TemporaryDirectory()
        let text = try String(contentsOfFile: try RunnerTests.pipeline(dir), encoding: .utf8)
            .replacingOccurrences(of: "inputs:\n", with: "inputs:\n  - {source: canonical, path: \"\(dir.path)/late/*.csv\", optional: true}\n")
        let pipeline = dir.write("late.yaml", text)
        #expect(try contactqa(["run", pipeline, "--as-of", "2026-11-23", "--quiet"]).status == 0)
        #expect(try contactqa(["run", pipeline, "--as-of", "2026-12-01", "--quiet"]).status == 0)
        try FileManager.default.createDirectory(atPath: dir.path + "/late", withIntermediateDirectories: true)
        dir.write("late/late.csv", """
            interaction_id,leg,channel,direction,queue,team,agent_id,customer_id,arrived_at,wait_s,abandoned,talk_s
            LATE1,1,voice,inbound,Billing,Team A,A1,+44 20 7946 9999,2026-11-18T10:00:00Z,5,false,100

            """)
        try FileManager.default.createDirectory(atPath: dir.path + "/inbox/qa", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture("qa-inbox/evaluations_2026-W47_sample.csv"),
                                         toPath: dir.path + "/inbox/qa/evaluations_2026-W47_sample.csv")
        #expect(try contactqa(["run", pipeline, "--as-of", "2026-12-02", "--quiet"]).status == 0)
        let revised = try #require(dir.read("reports/2026-W47/report.md"))
        #expect(revised.contains("The KPIs changed too: contact data of the week loaded since then; compare with that version."))
        let kpis = try JSONSerialization.jsonObject(with: Data(try #require(dir.read("reports/2026-W47/kpis.json")).utf8)) as! [String: Any]
        #expect(((kpis["total"] as! [String: Any])["kpis"] as! [String: Any])["offered"] as? Int == 51)
        let before = try JSONSerialization.jsonObject(with: Data(try #require(dir.read("reports/2026-W47/previous/2026-12-01/kpis.json")).utf8)) as! [String: Any]
        #expect(((before["total"] as! [String: Any])["kpis"] as! [String: Any])["offered"] as? Int == 50)
    }
}

extension RunDeliveryTests {
    /// The final report reaches management by e-mail, end to end: `contactqa run` hands the message to
    /// msmtp (a sendmail-compatible client), which delivers it over SMTP to a sink on loopback that the
    /// test starts (scripts/smtp-sink.py). Drafts are not mailed; a final report is mailed once.
    @Test func theFinalReportIsMailedThroughSendmail() throws {
        let msmtp = "/usr/bin/msmtp"
        guard FileManager.default.isExecutableFile(atPath: msmtp) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("CI=true but msmtp is not installed (apt-get install msmtp)")
            } else {
                print("note: skipping the mail test: msmtp is not installed (apt-get install msmtp)")
            }
            return
        }
        let dir = TemporaryDirectory()
        let sink = Process()
        sink.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sink.arguments = ["python3", repositoryRoot + "/scripts/smtp-sink.py", dir.path + "/mail", "--messages", "1", "--timeout", "60"]
        let portPipe = Pipe()
        sink.standardOutput = portPipe
        try sink.run()
        defer { if sink.isRunning { sink.terminate() } }
        var portText = Data()
        while !portText.contains(UInt8(ascii: "\n")) {
            let chunk = portPipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            portText += chunk
        }
        let port = try #require(Int(String(decoding: portText, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        let rc = dir.write("msmtprc", "account default\nhost 127.0.0.1\nport \(port)\nfrom qa@site.example\nauth off\ntls off\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: rc)
        let text = try String(contentsOfFile: try RunnerTests.pipeline(dir), encoding: .utf8)
            .replacingOccurrences(of: "report: {out: \"\(dir.path)/reports/{week}\"}", with: """
                report: {out: "\(dir.path)/reports/{week}", mail: {to: [manager@site.example], from: qa@site.example, sendmail: "\(msmtp) -C \(rc) -t"}}
                """)
        #expect(text.contains("mail: {to: [manager@site.example]"))
        let pipeline = dir.write("mail.yaml", text)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-23", "--quiet"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/mail/message-1.eml"))  // a draft is not mailed
        let final = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"])
        #expect(final.status == 0, "\(final.stderr)")
        sink.waitUntilExit()
        #expect(sink.terminationStatus == 0)
        let message = try #require(dir.read("mail/message-1.eml"))
        #expect(message.contains("To: manager@site.example\r\n"))
        #expect(message.contains("Subject: Weekly quality report 2026-W47 (final)\r\n"))
        // Attachments: the week's CSV and JSON files; never the sample or the feedback packs.
        let attachments = message.components(separatedBy: "filename=\"").dropFirst().map { $0.prefix { $0 != "\"" } }.map(String.init)
        #expect(attachments == ["kpis-by-agent.csv", "kpis-by-agent.json", "kpis-by-channel.csv", "kpis-by-channel.json", "kpis-by-team.csv",
                                "kpis-by-team.json", "kpis.csv", "kpis.json", "quality.json", "report.json"])
        // Every part decodes; the HTML body is the report, and no customer number is anywhere.
        var decoded: [String] = []
        for part in message.components(separatedBy: "--contactqa-part") {
            guard let split = part.range(of: "\r\n\r\n"), part.contains("base64") else { continue }
            let body = part[split.upperBound...].replacingOccurrences(of: "\r\n", with: "")
            decoded.append(String(decoding: try #require(Data(base64Encoded: body)), as: UTF8.self))
        }
        #expect(decoded.count == 12)
        #expect(decoded.contains { $0.hasPrefix("<!doctype html>") && $0.contains("Weekly quality report — 2026-W47") })
        #expect(!decoded.contains { $0.contains("+44") || $0.contains("7946") })
        #expect(dir.read("reports/2026-W47/.status")?.contains("mailed: 2026-12-01") == true)
        // Mailed once: the next night sends nothing (the sink has stopped; a send would fail).
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-02", "--quiet"]).status == 0)
    }

    /// A sendmail that refuses: exit 1 with its words, the report in place, and the next night tries again.
    @Test func aRefusedMailExits1AndIsRetried() throws {
        let dir = TemporaryDirectory()
        let script = dir.write("refuse.sh", "#!/bin/sh\ncat >/dev/null\necho 'relay refused' >&2\nexit 75\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script)
        let text = try String(contentsOfFile: try RunnerTests.pipeline(dir), encoding: .utf8)
            .replacingOccurrences(of: "report: {out: \"\(dir.path)/reports/{week}\"}", with: """
                report: {out: "\(dir.path)/reports/{week}", mail: {to: manager@site.example, from: qa@site.example, sendmail: \(script)}}
                """)
        let pipeline = dir.write("mail.yaml", text)
        let refused = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("2026-W47: the report could not be mailed: \(script) exited with 75: relay refused; the next run tries again"))
        #expect(dir.read("reports/2026-W47/.status")?.hasPrefix("final\n") == true)
        let again = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-02", "--quiet"])
        #expect(again.status == 1)  // tried again
        try "#!/bin/sh\ncat >/dev/null\nexit 0\n".write(toFile: script, atomically: false, encoding: .utf8)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-03", "--quiet"]).status == 0)
        #expect(dir.read("reports/2026-W47/.status")?.contains("mailed: 2026-12-03") == true)
    }
}

extension NightlySiteTests {
    /// A contact dated in the future (a PBX clock gone wrong) is quarantined naming the bound, and the
    /// file it came in does not make its source look complete; the caller's number stays masked.
    @Test func aContactDatedInTheFutureIsQuarantinedAndDoesNotCompleteAWeek() throws {
        let site = try Site()
        for offset in 0..<15 {  // as-of 3 … 17 November; the PBX stops after Sunday 8 November
            let asOf = LocalDate(iso: "2026-11-03")!.adding(days: offset)
            let day = asOf.adding(days: -1)
            let files = NightlySiteTests.exports(of: day)
            site.dir.write("inbox/main/calls-\(day).csv", files.main)
            if day.description <= "2026-11-08" {
                let pbx = day.description == "2026-11-08" ? files.pbx + "P-FUTURE,2027-01-15 10:00:00,A1,Team 1,+44 161 496 2999,5,90,false\n" : files.pbx
                site.dir.write("inbox/pbx/pbx-\(day).csv", pbx)
            }
            let night = try site.night(asOf, deliver: false)
            if day.description == "2026-11-08" {
                #expect(night.status == 3)
                #expect(night.stderr.contains("pbx-2026-11-08.csv") && night.stderr.contains("2027-01-15T10:00:00Z is after"), "\(night.stderr)")
                #expect(!night.stderr.contains("496 2999"))
            } else {
                #expect(night.status == 0, "night of \(asOf): \(night.stderr)")
            }
        }
        #expect(site.status("2026-W45") == "draft")
        let report = try #require(site.dir.read("reports/2026-W45/report.md"))
        #expect(report.contains("- pbx: data up to 2026-11-07, 9 days short of 2026-11-16"), "\(report)")
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: site.dir.path + "/quarantine")
        #expect(!quarantined.isEmpty)
        for file in quarantined { #expect(site.dir.read("quarantine/" + file)?.contains("496 2999") == false) }
    }
}

@Suite("Daily release of the QA sample")
struct DailyReleaseTests {
    static let plan = """
        name: daily-routine
        release: daily
        frame:
          direction: inbound
          exclude: {unacknowledged_agents: false, already_evaluated: true}
        strata: []
        size: {n: 20}
        seed: 11

        """

    static let card = """
        id: check
        version: 1
        label: One check
        sections:
          - id: all
            label: All
            criteria:
              - {id: right_first_time, label: Got it right first time, scale: yes_no, weight: 1}

        """

    /// Three weeks played night by night with `release: daily`: each day's units are drawn the morning
    /// after, on one inclusion probability per week (20 units expected from the week's volume), every day
    /// re-derives identically with `sample verify`, and the week's QA estimate weights the evaluated
    /// units by 1/π — checked here against the Poisson-design formulas computed from the sample files.
    @Test func eachDayIsDrawnTheMorningAfterAndEstimatesUseThePoissonProbabilities() throws {
        let site = try NightlySiteTests.Site()
        site.dir.write("plan.yaml", DailyReleaseTests.plan)
        site.dir.write("card.yaml", DailyReleaseTests.card)
        site.dir.write("site.yaml", NightlySiteTests.pipelineText.replacingOccurrences(of: "inputs:\n", with: """
            scorecards: ["card.yaml"]
            inputs:
              - {source: evaluations, path: "inbox/qa/*.csv"}

            """))
        func manifest(_ day: LocalDate) -> String? {
            site.dir.read("reports/\(day.isoWeek)/sample/\(day)/manifest.json")
        }
        for offset in 0..<15 {  // as-of 3 … 17 November
            let asOf = LocalDate(iso: "2026-11-03")!.adding(days: offset)
            let result = try site.night(asOf)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(manifest(asOf.adding(days: -1)) != nil, "the sample of \(asOf.adding(days: -1)) is not there on the morning of \(asOf)")
            #expect(manifest(asOf) == nil)
        }
        // One probability for each week: W45 has no history (7 × the first day's 10 units), W46 has W45's 70.
        for day in ["2026-11-02", "2026-11-08", "2026-11-09", "2026-11-15"] {
            let json = try JSONSerialization.jsonObject(with: Data(try #require(manifest(LocalDate(iso: day)!)).utf8)) as! [String: Any]
            let plan = json["plan"] as! [String: Any]
            #expect((plan["stratum_rates"] as? [String: Any])?["all"] as? Double == 0.285714, "\(day): \(plan)")
            #expect(plan["method"] as? String == "poisson")
        }
        // Every day re-derives unit for unit.
        for offset in 0..<14 {
            let day = LocalDate(iso: "2026-11-02")!.adding(days: offset)
            let verify = try contactqa(["sample", "verify", site.dir.path + "/reports/\(day.isoWeek)/sample/\(day)/manifest.json",
                                        "--store", site.dir.path + "/store.sqlite"])
            #expect(verify.status == 0, "\(day): \(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains("identical"))
        }
        // QA evaluates every unit released for W46: right first time when the leg's talk time is even.
        var rows: [(id: String, pi: Double, y: Double)] = []
        var csv = "evaluation_id,interaction_id,leg,evaluator_id,evaluated_at,scorecard_id,scorecard_version,criterion_id,rating,comment\n"
        for offset in 7..<14 {
            let day = LocalDate(iso: "2026-11-02")!.adding(days: offset)
            for line in try #require(site.dir.read("reports/2026-W46/sample/\(day)/sample.csv")).split(separator: "\n").dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                let id = fields[1]
                let yes = id.hasPrefix("M") ? Int(id.split(separator: "-")[1])! % 2 == 0 : Int(id.split(separator: "-")[1])! % 3 == 0
                rows.append((id, Double(fields[10])!, yes ? 100 : 0))
                csv += "E-\(id),\(id),1,Q1,2026-11-17,check,1,right_first_time,\(yes ? "yes" : "no"),\n"
            }
        }
        #expect(rows.count > 5)
        try FileManager.default.createDirectory(atPath: site.dir.path + "/inbox/qa", withIntermediateDirectories: true)
        site.dir.write("inbox/qa/week46.csv", csv)
        let evaluated = try site.night(LocalDate(iso: "2026-11-18")!)
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        // Independently: Hájek with weights 1/π and its Poisson-design linearised variance.
        let totalWeight = rows.reduce(0) { $0 + 1 / $1.pi }
        let mean = rows.reduce(0) { $0 + $1.y / $1.pi } / totalWeight
        let variance = rows.reduce(0) { sum, r in
            let z = (r.y - mean) / totalWeight
            return sum + (1 - r.pi) * (z / r.pi) * (z / r.pi)
        }
        let se = variance.squareRoot()
        // t(0.975) with m − 1 = 18 degrees of freedom: scipy.stats.t.ppf(0.975, 18) (scipy 1.17.1).
        #expect(rows.count == 19)
        let t = 2.1009220402410382
        let expected = String(format: "QA score %.1f (95%% CI %.1f–%.1f, 18 df)", mean, mean - t * se, mean + t * se)
        let report = try #require(site.dir.read("reports/2026-W46/report.md"))
        #expect(report.contains("\(rows.count) evaluations, \(rows.count) in the representative sample; \(expected)."), "\(expected)")
    }
}

extension NightlySiteTests {
    /// A plan changed in the middle of a week: the week's recorded sample stands and stays in the
    /// report folder, with a warning; the next week is drawn with the new plan.
    @Test func aPlanChangedMidWeekLeavesTheDrawnSampleStanding() throws {
        let site = try Site()
        for offset in 0..<8 { #expect(try site.night(LocalDate(iso: "2026-11-03")!.adding(days: offset)).status == 0) }
        let drawn = try #require(site.manifest("2026-W45"))
        site.dir.write("plan.yaml", NightlySiteTests.plan.replacingOccurrences(of: "seed: 7", with: "seed: 8"))
        let changed = try site.night(LocalDate(iso: "2026-11-11")!)
        #expect(changed.status == 0)
        #expect(changed.stderr.contains("2026-W45: the sampling plan changed after the week's sample was drawn; the recorded sample stands"))
        #expect(site.manifest("2026-W45") == drawn)
        for offset in 0..<6 { #expect(try site.night(LocalDate(iso: "2026-11-12")!.adding(days: offset)).status == 0) }
        let next = try #require(site.manifest("2026-W46"))
        #expect(next.contains("\"seed\": \"8\""))
    }
}

extension NightlySiteTests {
    /// A backfill older than the retention limit is refused, not loaded and deleted the same night.
    @Test func aBackfillOlderThanRetentionIsRefused() throws {
        let site = try Site()
        site.dir.write("site.yaml", NightlySiteTests.pipelineText.replacingOccurrences(of: "privacy: {key_file: site.key}",
                                                                                         with: "privacy: {key_file: site.key, retention_days: 30}"))
        #expect(try site.night(LocalDate(iso: "2026-11-20")!).status == 0)
        site.dir.write("inbox/main/backfill-august.csv", NightlySiteTests.exports(of: LocalDate(iso: "2026-08-12")!).main)
        let refused = try site.night(LocalDate(iso: "2026-11-21")!)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("backfill-august.csv: failed, nothing loaded: backfill-august.csv: all 6 contacts are older than the retention limit (2026-10-19: privacy.retention_days 30); refused rather than loaded and deleted"), "\(refused.stderr)")
        let kpis = try contactqa(["kpis", "--store", site.dir.path + "/store.sqlite", "--from", "2026-08-01", "--to", "2026-08-31", "--format", "json"])
        let total = (try JSONSerialization.jsonObject(with: Data(kpis.stdout.utf8)) as! [String: Any])["total"] as! [String: Any]
        #expect((total["kpis"] as! [String: Any])["offered"] as? Int == 0)
        let next = try site.night(LocalDate(iso: "2026-11-22")!)
        #expect(next.status == 0)
        #expect(next.stderr.contains("backfill-august.csv: rejected on "))
    }
}

@Suite("Critical fails reach people")
struct CriticalFailTests {
    /// The demo week with the QA team's evaluations: every critical fail the store holds (outside
    /// calibration sessions) is at the top of its agent's pack, in their team lead's summary, and
    /// counted in the report (Markdown and JSON); a criterion with a critical fail is never a strength.
    @Test func everyCriticalFailIsInThePackTheTeamSummaryAndTheReport() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-23", "--quiet"]).status == 0)
        try FileManager.default.createDirectory(atPath: dir.path + "/inbox/qa", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture("qa-inbox/evaluations_2026-W47_sample.csv"),
                                         toPath: dir.path + "/inbox/qa/evaluations_2026-W47_sample.csv")
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"]).status == 0)
        let store = try SQLiteStore(path: dir.path + "/demo.sqlite")
        let fails = try store.query("""
            SELECT e.evaluation_id, e.agent_id, l.team FROM evaluations e
            LEFT JOIN legs l ON l.source = e.source AND l.interaction_id = e.interaction_id AND l.leg = e.leg
            WHERE e.critical_failed = 1 AND e.calibration_session IS NULL ORDER BY 1
            """).map { ($0[0].string!, $0[1].string!, $0[2].string ?? "no-team") }
        #expect(fails.count >= 2, "\(fails)")
        let folder = dir.path + "/reports/2026-W47"
        let report = try #require(dir.read("reports/2026-W47/report.md"))
        #expect(report.contains("**Critical fails: \(fails.count)**"))
        // The summary a manager reads first, and the counts behind each headline figure.
        #expect(report.contains("**Summary.** 50 contacts offered. No significant change from last week. Missing target: Service level 63.0% (target 80.0%)"))
        #expect(report.contains("Critical fails: \(fails.count). QA sample: 10 of 21 evaluated."))
        #expect(report.contains("| Service level | 63.0% | 29 of 46 |"))
        #expect(report.contains("| 100.0% (1 of 1, too few) |"))
        #expect(report.contains("Service level counts contacts answered within: voice 20 s, chat 20 s, email 24 h."))
        #expect(report.contains("NPS: 40 (95% CI -30 to 80) from 5 responses. Escalations: 4 of 40 handled (10.0%)."))
        #expect(report.contains("| Team A | 79.0 | 58.7–99.2 | 5 | 3 |"))
        #expect(report.contains("- Q1: +12.8 points over 1 leg"))
        // Colleagues by their roster names where names are allowed.
        #expect(report.contains("| Asha Patel (A1) | 81.7 | 46.5–100.0 | 3 | 2 |"))
        let summaryJSON = try JSONSerialization.jsonObject(with: Data(try #require(dir.read("reports/2026-W47/report.json")).utf8)) as! [String: Any]
        #expect((summaryJSON["summary"] as? String)?.hasPrefix("50 contacts offered.") == true)
        for (evaluation, agent, team) in fails {
            let teamFolder = FeedbackPack.safeName(team)
            let pack = try String(contentsOfFile: "\(folder)/feedback/\(teamFolder)/\(FeedbackPack.safeName(agent)).md", encoding: .utf8)
            let critical = try #require(pack.range(of: "## Critical: to put right first"), "\(agent)'s pack has no critical section")
            #expect(critical.lowerBound < pack.range(of: "## What you did well")!.lowerBound)
            #expect(pack[critical.upperBound...].prefix(600).contains(evaluation), "\(evaluation) not in \(agent)'s critical section")
            #expect(!pack.contains("Not enough evaluations"))
            let summary = try String(contentsOfFile: "\(folder)/feedback/\(teamFolder)/_team-summary.md", encoding: .utf8)
            #expect(summary.contains("- \(agent): ") && summary.contains(evaluation))
            #expect(report.contains(evaluation))
        }
        let json = try JSONSerialization.jsonObject(with: Data(try #require(dir.read("reports/2026-W47/report.json")).utf8)) as! [String: Any]
        #expect((json["critical_fails"] as! [[String: Any]]).map { $0["evaluation_id"] as! String }.sorted() == fails.map(\.0))
        // A criterion failed critically is never listed as a strength in the same pack.
        for pack in try FeedbackPack.build(store: store, period: Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!)) {
            let failed = Set(pack.criticalFails.map(\.criterionID))
            #expect(pack.strengths.allSatisfy { !failed.contains($0.criterionID) })
            #expect(failed.isSubset(of: Set(pack.development.map(\.criterionID))))
        }
    }
}

extension NightlySiteTests {
    /// `privacy.monitoring_notice`: where monitoring is announced to every caller, contacts without a
    /// notice flag are sampled; where notice is given per contact, they never are — and the report says
    /// which rule the site follows.
    @Test(arguments: ["announced_to_all", "per_contact"])
    func unknownMonitoringNoticeFollowsTheSiteRule(rule: String) throws {
        let site = try Site()
        site.dir.write("site.yaml", NightlySiteTests.pipelineText
            .replacingOccurrences(of: "privacy: {key_file: site.key}", with: "privacy: {key_file: site.key, monitoring_notice: \(rule)}")
            .replacingOccurrences(of: "  - {source: csv, mapping: pbx.yaml, path: \"inbox/pbx/*.csv\", optional: true}\n", with: ""))
        for offset in 0..<8 {  // W45 and the Monday after, without a monitoring_notice column
            let day = LocalDate(iso: "2026-11-02")!.adding(days: offset)
            let lines = NightlySiteTests.exports(of: day).main.split(separator: "\n").map { line in
                String(line[..<line.lastIndex(of: ",")!])
            }
            site.dir.write("inbox/main/calls-\(day).csv", lines.joined(separator: "\n") + "\n")
        }
        let result = try contactqa(["run", site.pipeline, "--week", "2026-W45", "--as-of", "2026-11-10", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(site.dir.read("reports/2026-W45/report.md"))
        if rule == "per_contact" {
            #expect(site.manifest("2026-W45") == nil)
            #expect(result.stderr.contains("no sample for 2026-W45"))
            #expect(report.contains("- Monitoring notice is given per contact: contacts without a notice flag are never sampled."))
        } else {
            let manifest = try #require(site.manifest("2026-W45"))
            #expect(manifest.contains("\"units\": 35"))
            #expect(report.contains("- Monitoring is announced to every caller: contacts without a notice flag count as notified."))
        }
    }
}

/// A staging or swapped-out report folder that cannot be removed is named, with the reason, instead of
/// staying hidden for ever.
@Suite("Leftover report folders")
struct LeftoverFolderTests {
    /// Makes `file` impossible to remove: `chattr +i` as root (permissions do not stop root), a
    /// read-only parent folder otherwise. Returns the undo, or nil when neither works here.
    static func pin(_ file: String) -> (() -> Void)? {
        if getuid() != 0 {
            let folder = (file as NSString).deletingLastPathComponent
            chmod(folder, 0o555)
            return { chmod(folder, 0o755) }
        }
        func chattr(_ flag: String) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["chattr", flag, file]
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        return chattr("+i") ? { _ = chattr("-i") } : nil
    }

    @Test func aLeftoverThatCannotBeRemovedIsReported() throws {
        let dir = TemporaryDirectory()
        let leftover = dir.path + "/reports/.2026-W47.partial-99999"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        let file = dir.write("reports/.2026-W47.partial-99999/report.md", "an interrupted run's report")
        guard let undo = LeftoverFolderTests.pin(file) else {
            print("note: skipping: this file system cannot make a file unremovable (chattr)")
            return
        }
        defer { undo() }
        let folder = try AtomicFolder(destination: dir.path + "/reports/2026-W47")
        #expect(folder.leftovers.count == 1)
        #expect(folder.leftovers.first?.hasPrefix(leftover + " could not be removed (no permission to remove it or something inside it)") == true
                || folder.leftovers.first?.hasPrefix(leftover + " could not be removed (Operation not permitted)") == true, "\(folder.leftovers)")
        #expect(folder.leftovers.first?.hasSuffix("remove it by hand") == true)
        try folder.commit()
        #expect(FileManager.default.fileExists(atPath: dir.path + "/reports/2026-W47"))
    }
}
