import Foundation
import Logging

/// The nightly job: loads a pipeline's new files, applies retention, works out which weeks are due,
/// and for each writes its report folder — a draft until the data says the week is complete, then
/// final and left alone. What `contactqa run` does.
package struct PipelineRun {
    package var pipeline: Pipeline
    /// How long SQLite statements wait for another process's write (a manual ingest) before giving up.
    package var wait = SQLiteStore.defaultWait
    /// The date the run stands on; nil: today in the site's time zone.
    package var asOf: LocalDate?
    /// One week only (`run --week`); nil: every week due (the current one and the look-back).
    package var week: ISOWeek?
    package var logger: Logger
    package var progress: (@Sendable (_ file: String, _ done: Int, _ total: Int) -> Void)?
    /// Called for each KPI table a week's report computes (the command prints them unless quiet).
    package var table: ((_ title: String, _ text: String) -> Void)?
    /// Called with a week's folders staged, just before they are swapped into place.
    package var beforeCommit: ((ISOWeek) -> Void)?

    package init(pipeline: Pipeline, logger: Logger) {
        self.pipeline = pipeline
        self.logger = logger
    }

    /// What a run did.
    package struct Outcome: Sendable {
        package var files: [FileImportReport] = []
        /// Files skipped because the same bytes were rejected on an earlier night.
        var skippedRejected: [IngestLogEntry] = []
        /// Each week written, with its status ("draft" or "final"); finals left alone are not listed.
        package var weeks: [(week: ISOWeek, status: String)] = []
        /// Reports that could not be mailed (`report.mail`); the next run tries again.
        package var mailFailures: [String] = []
        /// Results the store computed together ahead of the reports (`prepareReports`), read by them
        /// and left unread: every one computed ahead should be read.
        package var preparedRead = 0, preparedUnread = 0
    }

    /// Opens the pipeline's store and takes its run lock: a flock beside a SQLite file, a session
    /// advisory lock on PostgreSQL. Both end with the process, so a killed run leaves no stale lock.
    /// - Throws: `RunLock.Held` when another run holds the lock.
    package static func openStore(_ pipeline: Pipeline, wait: TimeInterval = SQLiteStore.defaultWait) throws -> (store: any SQLStore, lock: RunLock?) {
        if PostgresStore.isURL(pipeline.store) {
            let postgres = try PostgresStore(url: pipeline.store, createWithTimeZone: pipeline.timezone)
            guard try postgres.tryLockRun() else { throw RunLock.Held(path: "advisory lock on \(postgres.url)") }
            return (postgres, nil)
        }
        let lock = try RunLock(store: pipeline.store)
        return (try SQLiteStore(path: pipeline.store, createWithTimeZone: pipeline.timezone, wait: wait), lock)
    }

    package func execute() throws -> Outcome {
        try pipeline.preflight()  // before the store is touched: inputs that match nothing, an unwritable report folder
        let (store, lock) = try PipelineRun.openStore(pipeline, wait: wait)
        defer { withExtendedLifetime(lock) {} }
        let clock = ZoneClock(identifier: store.siteTimeZone) ?? .utc
        let today = asOf ?? clock.localDate(atUTC: Int64(Date().timeIntervalSince1970))
        if week == nil, let last = try store.lastRunAsOf(), today < last {
            throw ConfigError(file: "command line", line: nil, path: "--as-of",
                              reason: "the as-of date \(today) is earlier than the last nightly run's \(last) (a clock set back?); nothing was changed. Re-run an earlier week with --week")
        }
        var outcome = Outcome()
        // Timestamps may run to the day after the later of the as-of date and the machine's date: a re-run
        // of an old night must not quarantine what has happened since.
        let latest = max(today, clock.localDate(atUTC: Int64(Date().timeIntervalSince1970)))
        try ingest(store: store, bounds: pipeline.bounds.plausibility(asOf: latest), into: &outcome)
        var calendar = WeekCalendar(clock: clock, fcrWindowDays: pipeline.parameters.fcrWindowDays)
        calendar.lookBackWeeks = pipeline.schedule.lookBackWeeks
        calendar.settleDays = pipeline.schedule.settleDays
        calendar.closedDays = pipeline.schedule.closedDays
        calendar.retiredSources = pipeline.schedule.retiredSources
        calendar.completeSources = try completeSources(store)
        let weeks = week.map { [$0] } ?? calendar.weeksDue(asOf: today)
        if let days = pipeline.retentionDays {
            let cutoff = min(today.adding(days: -days), weeks[0].monday)
            try refuseBackfillsBeyondRetention(&outcome, store: store, before: cutoff, clock: clock, days: days)
            try applyRetention(store: store, clock: clock, today: today, days: days, keepingFrom: weeks[0].monday)
        }
        // The reports' aggregates are kept for the next run, which reads them while nothing has changed.
        if let sqlite = store as? SQLiteStore { try sqlite.prepareAggregateCache() }
        for isoWeek in weeks {
            if let status = try report(isoWeek, store: store, calendar: calendar, today: today) { outcome.weeks.append((isoWeek, status)) }
            if let failure = mailIfDue(isoWeek, today: today) { outcome.mailFailures.append(failure) }
        }
        if week == nil { try store.recordRunAsOf(today) }
        if let sqlite = store as? SQLiteStore {
            (outcome.preparedRead, outcome.preparedUnread) = (sqlite.preparedRead, sqlite.preparedWaiting)
            logger.debug("aggregates computed together: \(sqlite.preparedRead) read, \(sqlite.preparedWaiting) unread")
        }
        let written = outcome.weeks.map { "\($0.week) \($0.status)" }.joined(separator: ", ")
        logger.notice("run of \(today): \(written.isEmpty ? "no report written" : written)")
        return outcome
    }

    // MARK: - Ingest

    private func ingest(store: any SQLStore, bounds: PlausibilityBounds, into outcome: inout Outcome) throws {
        let started = Date()
        var service = IngestService(store: store, logger: logger)
        service.bounds = bounds
        service.progress = progress
        let pseudonymiser = try IngestService.pseudonymiser(keyFile: pipeline.keyFile)
        for input in pipeline.inputs {
            var files = Pipeline.expand(input.path)
            if files.isEmpty { logger.notice("\(input.source) input \(input.path): no file tonight") }
            // Files still being written are left for the next run.
            files = files.filter { file in
                let modified = (try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date) ?? .distantPast
                let settling = started.timeIntervalSince(modified) < pipeline.settleSeconds
                if settling { logger.info("\((file as NSString).lastPathComponent): modified less than \(Int(pipeline.settleSeconds)) s ago, left for the next run") }
                return !settling
            }
            // A file rejected on an earlier night is not rejected again every night: the same bytes are
            // skipped with a warning until a corrected file (other bytes) arrives.
            files = try files.filter { file in
                guard let digest = IngestService.sha256(of: file), let earlier = try store.rejectedBefore(sha256: digest) else { return true }
                logger.warning("\((file as NSString).lastPathComponent): rejected on \(earlier.startedAt.prefix(10)) (\(earlier.message ?? earlier.status.rawValue)); the same bytes are skipped until a corrected file arrives")
                outcome.skippedRejected.append(earlier)
                return false
            }
            outcome.files += try service.ingest(source: input.source, mappingFile: input.mapping, files: files,
                                                pseudonymiser: pseudonymiser, skipLoaded: true)
        }
        let f = outcome.files
        logger.notice("stage ingest: \(f.count) files, \(f.reduce(0) { $0 + $1.log.rowsRead }) records, \(f.reduce(0) { $0 + $1.log.inserted }) inserted, \(f.reduce(0) { $0 + $1.log.rejected }) rejected (\(Int(Date().timeIntervalSince(started) * 1000)) ms)")
    }

    /// The contact sources loaded by inputs marked `complete: true`.
    private func completeSources(_ store: any SQLStore) throws -> Set<String> {
        var sources = Set<String>()
        for input in pipeline.inputs where input.complete {
            for file in Pipeline.expand(input.path) {
                guard let digest = IngestService.sha256(of: file) else { continue }
                sources.formUnion(try store.sourcesLoaded(sha256: digest))
            }
        }
        return sources
    }

    /// A file loaded tonight whose contacts all lie before the retention limit would be loaded only to be
    /// deleted: it is refused instead (its log entry marked rejected, exit 3; the same bytes are skipped
    /// on later nights). A file with only some contacts that old is kept, with a warning.
    private func refuseBackfillsBeyondRetention(_ outcome: inout Outcome, store: any SQLStore, before cutoff: LocalDate, clock: ZoneClock,
                                                days: Int) throws {
        let ids = outcome.files.compactMap { $0.outcome == .loaded ? $0.log.id : nil }
        guard !ids.isEmpty else { return }
        let limit = clock.startOfDay(cutoff) * 1000
        let counts = try store.contactsOfIngests(ids, arrivedBefore: limit)
        for i in outcome.files.indices {
            guard let id = outcome.files[i].log.id, let (count, total) = counts[id], count > 0 else { continue }
            let name = outcome.files[i].log.file
            if count == total {
                let reason = "all \(count) contacts are older than the retention limit (\(cutoff): privacy.retention_days \(days)); refused rather than loaded and deleted. Raise retention_days to keep such history"
                var entry = outcome.files[i].log
                entry.status = .rejected
                entry.message = reason
                try store.markRejected(ingest: id, reason: reason)
                outcome.files[i].log = entry
                outcome.files[i].outcome = .failed(InputError(file: name, reason: reason))
            } else {
                logger.warning("\(name): \(count) of \(total) contacts are older than the retention limit (\(cutoff)) and are deleted with it")
            }
        }
    }

    /// Deletes contacts older than the retention limit, but never those of a week the run still reports.
    private func applyRetention(store: any SQLStore, clock: ZoneClock, today: LocalDate, days: Int, keepingFrom firstWeekDay: LocalDate) throws {
        let started = Date()
        let limit = today.adding(days: -days)
        let cutoff = min(limit, firstWeekDay)
        let deleted = try store.applyRetention(before: clock.startOfDay(cutoff) * 1000, cutoffWeek: cutoff.isoWeek)
        let kept = cutoff < limit ? " (kept from \(cutoff): a week still reported needs them)" : ""
        logger.notice("stage retention: \(deleted) contacts before \(cutoff) deleted\(kept) (\(Int(Date().timeIntervalSince(started) * 1000)) ms)")
    }

    // MARK: - One week

    /// Writes one week's folders, unless its final report exists or it has no data at all.
    /// - Returns: the status written, or nil when nothing was written.
    private func report(_ isoWeek: ISOWeek, store: any SQLStore, calendar: WeekCalendar, today: LocalDate) throws -> String? {
        let folder = pipeline.reportOut.replacingOccurrences(of: "{week}", with: isoWeek.description)
        let period = Period(week: isoWeek, clock: calendar.clock)
        var revision: WeeklyReport.Revision?
        var previous: ReportStatus?
        if PipelineRun.isFinal(folder) {
            guard let due = try lateEvaluations(isoWeek, folder: folder, period: period, store: store, today: today) else { return nil }
            (revision, previous) = due
        }
        let contacts = try store.contactCount(in: period)
        if revision == nil, contacts == 0, !FileManager.default.fileExists(atPath: folder), week == nil {
            logger.info("\(isoWeek): no contacts loaded yet; no report")
            return nil
        }
        var readiness = try calendar.readiness(of: isoWeek, asOf: today, store: store)
        if revision != nil { readiness.final = true }  // a revised final report stays final
        let started = Date()
        let staging = try AtomicFolder(destination: folder)
        // With agent names hidden, the QA working files get their own folder, also swapped in whole.
        let qaStaging = try pipeline.qaOut.map { try AtomicFolder(destination: $0.replacingOccurrences(of: "{week}", with: isoWeek.description)) }
        let status: String
        do {
            status = try writeOutputs(store: store, week: isoWeek, period: period, readiness: readiness, into: staging.staging,
                                      qaFolder: qaStaging?.staging ?? staging.staging, revision: revision, previous: previous, inPlace: folder)
            if let mode = pipeline.reportMode {
                try PipelineRun.setMode(mode, under: staging.staging)
                if let qaStaging { try PipelineRun.setMode(mode, under: qaStaging.staging) }
            }
            beforeCommit?(isoWeek)
            for folder in [qaStaging, staging].compactMap({ $0 }) {
                for leftover in folder.leftovers { logger.warning("\(isoWeek): \(leftover)") }
                if let leftover = try folder.commit() { logger.warning("\(isoWeek): \(leftover)") }
            }
        } catch {
            qaStaging?.abandon()
            staging.abandon()
            throw error
        }
        let why = readiness.final ? "" : ": " + readiness.reasons.joined(separator: "; ")
        if let revision { logger.warning("\(isoWeek): final report revised: \(revision.evaluationsAfter - revision.evaluationsBefore) late evaluations; the previous version is in previous/\(revision.previous)/") }
        logger.notice("stage report: \(isoWeek) \(status) written to \(folder)\(why) (\(Int(Date().timeIntervalSince(started) * 1000)) ms)")
        return status
    }

    /// Mails a week's final report that has not been mailed as it now stands (`report.mail`): the night
    /// it becomes final or is revised, or a later night when mailing failed.
    /// - Returns: the failure, when the sendmail program refused.
    private func mailIfDue(_ isoWeek: ISOWeek, today: LocalDate) -> String? {
        guard let mail = pipeline.mail else { return nil }
        let folder = pipeline.reportOut.replacingOccurrences(of: "{week}", with: isoWeek.description)
        guard var status = ReportStatus(folder: folder), status.final, status.mailed == nil else { return nil }
        do {
            let message = try mail.message(folder: folder, week: isoWeek, status: status.revisions.isEmpty ? "final" : "final, revised",
                                           date: ReportMail.headerDate(Date()))
            try mail.send(message)
            status.mailed = today
            try status.text.write(toFile: folder + "/.status", atomically: true, encoding: .utf8)
            logger.notice("\(isoWeek): report mailed to \(mail.to.joined(separator: ", "))")
            return nil
        } catch {
            let failure = "\(isoWeek): the report could not be mailed: \(error); the next run tries again"
            logger.error("\(failure)")
            return failure
        }
    }

    /// Whether a final report is to be revised tonight: its evaluations changed since it was written
    /// and they are still awaited (`evaluate_within_days` of the plan after it was written, 14 by default).
    private func lateEvaluations(_ isoWeek: ISOWeek, folder: String, period: Period, store: any SQLStore,
                                 today: LocalDate) throws -> (WeeklyReport.Revision, ReportStatus)? {
        guard let status = ReportStatus(folder: folder), let written = status.written, let fingerprint = status.fingerprint,
              let before = status.evaluations else {
            logger.info("the final report of \(isoWeek) exists; left as it is")
            return nil
        }
        let now = try ReportStatus.evaluations(store: store, period: period)
        guard now.fingerprint != fingerprint else {
            logger.info("the final report of \(isoWeek) exists; left as it is")
            return nil
        }
        let awaited = try pipeline.samplingPlan.map { try SamplingPlan.load(file: $0).evaluateWithinDays } ?? 14
        let lastRevision = status.revisions.last?.date ?? written
        guard today <= written.adding(days: awaited) else {
            logger.warning("\(isoWeek): \(now.count - before) evaluations changed after the \(awaited) days they were awaited (final report of \(written)); the report is left as it is")
            return nil
        }
        let revision = WeeklyReport.Revision(date: today, evaluationsBefore: before, evaluationsAfter: now.count,
                                             qaBefore: status.qaScore, qaAfter: nil, previous: lastRevision)
        return (revision, status)
    }

    /// Whether the week's folder holds a final report: its `.status`, or for folders written before
    /// `.status` existed, the status in report.json.
    static func isFinal(_ folder: String) -> Bool {
        if let status = try? String(contentsOfFile: folder + "/.status", encoding: .utf8) { return status.hasPrefix("final") }
        guard let existing = try? Data(contentsOf: URL(fileURLWithPath: folder + "/report.json")),
              let object = try? JSONSerialization.jsonObject(with: existing) as? [String: Any] else { return false }
        return object["status"] as? String == "final"
    }

    /// Gives every file under `folder` the mode, and every folder the mode plus a search bit for each
    /// read bit (0640 → folders 0750).
    static func setMode(_ mode: mode_t, under folder: String) throws {
        let folderMode = mode | ((mode & 0o444) >> 2)
        guard chmod(folder, folderMode) == 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: folder]) }
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            let path = folder + "/" + relative
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            guard chmod(path, isDirectory.boolValue ? folderMode : mode) == 0 else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
    }

    /// Everything a run writes for the week: KPIs, the sample (once the week's frame is complete),
    /// quality, feedback packs and the weekly report.
    /// - Returns: "final" or "draft".
    /// - Parameters:
    ///   - revision: set when late evaluations re-issue a final report (its "after" figures are filled in here).
    ///   - previous: the status of the final report being revised.
    ///   - inPlace: the week's folder in place, whose current files a revision keeps under `previous/`.
    private func writeOutputs(store: any SQLStore, week isoWeek: ISOWeek, period: Period, readiness: WeekReadiness,
                              into folder: String, qaFolder: String, revision: WeeklyReport.Revision?, previous: ReportStatus?,
                              inPlace: String) throws -> String {
        let labels = try pipeline.agentNames ? nil : IngestService.pseudonymiser(keyFile: pipeline.keyFile).map(AgentLabels.init)
        let today = readiness.asOf
        // The KPI files are the engine's own answers, byte for byte what `contactqa kpis` prints on
        // either backend (the report's roll-ups add their sums in another order: the 15th digit differs).
        let engine = KPIEngine(store: store)
        MemoryProbe.mark("\(isoWeek) before the report stage")
        // The week grouped as the KPI files, the weekly report's days and the trends' weekday-by-hour
        // pattern ask for it, computed together.
        try store.prepareReports([[], [.channel], [.team], [.agent], [.dow, .hour], [.day]].map { (groupBy: [GroupDimension]) in
            AggregateQuery(fromUTC: period.fromUTC, toUTC: period.toUTC, clock: period.clock, groupBy: groupBy, parameters: pipeline.parameters)
        })
        for groupBy in [[], [GroupDimension.channel], [.team], [.agent]] {
            let computed = try engine.report(period: period, groupBy: groupBy, parameters: pipeline.parameters, asOf: today)
            let report = labels.map { computed.labellingAgents($0) } ?? computed
            table?("KPIs \(groupBy.isEmpty ? "in total" : "by " + groupBy[0].rawValue), \(isoWeek)", report.table)
            let suffix = groupBy.isEmpty ? "" : "-by-\(groupBy[0].rawValue)"
            if pipeline.formats.contains("json") {
                try report.json.rendered().appending("\n").write(toFile: "\(folder)/kpis\(suffix).json", atomically: true, encoding: .utf8)
            }
            if pipeline.formats.contains("csv") { try report.csv.write(toFile: "\(folder)/kpis\(suffix).csv", atomically: true, encoding: .utf8) }
            MemoryProbe.mark("KPI files \(suffix)")
        }
        if let planFile = pipeline.samplingPlan {
            var plan = try SamplingPlan.load(file: planFile)
            if pipeline.noticePerContact { plan.excludeUnknownNotice = true }
            // The routine sample is drawn once, from the complete week: never from a part of it.
            let recorded = try store.recordedSample(planName: plan.name, from: period.from, to: period.to, selectedOnly: true)
            if plan.release == .daily {
                // Each day the morning after its data has arrived, on the week's Poisson probabilities.
                let days = try DailyRelease(store: store, plan: plan).release(week: isoWeek, clock: period.clock, asOf: today,
                                                                             deliveredThrough: readiness.deliveredThrough, out: "\(qaFolder)/sample")
                logger.info("the daily samples of \(isoWeek): \(days.count) days, \(days.reduce(0) { $0 + $1.sample.selected.count }) units")
            } else if readiness.frameComplete || recorded != nil {
                do {
                    let (manifest, outcome) = try SamplingService(store: store).sample(plan: plan, period: period, out: "\(qaFolder)/sample")
                    let how = if case .reused = outcome { "reused" } else { "drew" }
                    logger.info("\(how) the sample of \(isoWeek): \(manifest.sample.selected.count) of \(manifest.sample.frameSize) handled legs")
                    if let evaluators = pipeline.evaluators {
                        let assignment = try SamplingService(store: store).assign(manifest, evaluators: try Evaluator.read(evaluators),
                                                                                  calibrationShare: plan.calibrationShare, out: "\(qaFolder)/sample")
                        logger.info("\(isoWeek): \(assignment.summary)")
                        if !assignment.unassigned.isEmpty { logger.warning("\(isoWeek): \(assignment.unassigned.count) sampled interactions have no evaluator") }
                    }
                } catch let error as SamplingError {
                    // A plan changed after the week's sample was drawn: the recorded sample stands, and its
                    // files are written again from its own plan so the QA team keeps them.
                    if let recorded, let node = try ConfigNode.parse(recorded.manifest, file: "recorded sample").dictionary(allowed: nil)["plan"] {
                        _ = try SamplingService(store: store).sample(plan: try SamplingPlan.parse(node), period: period, out: "\(qaFolder)/sample")
                        logger.warning("\(isoWeek): the sampling plan changed after the week's sample was drawn; the recorded sample stands (the new plan applies from the next week; `contactqa sample --redraw` records a new draw on purpose)")
                    } else {
                        logger.warning("no sample for \(isoWeek): \(error)")
                    }
                }
            } else {
                let behind = readiness.asOf <= isoWeek.sunday ? "the week has not ended"
                    : WeekCalendar.frameLags(readiness).joined(separator: "; ")
                logger.info("the sample of \(isoWeek) is drawn once the week's data is complete (\(behind))")
            }
        }
        MemoryProbe.mark("sample")
        let computedQuality = try QualityEngine(store: store).report(period: period, groupBy: .agent)
        let quality = labels.map { computedQuality.labellingAgents($0) } ?? computedQuality
        if pipeline.formats.contains("json") {
            try (quality.json.rendered() + "\n").write(toFile: "\(folder)/quality.json", atomically: true, encoding: .utf8)
        }
        MemoryProbe.mark("quality.json")
        if pipeline.feedbackPacks { _ = try FeedbackPack.write(try FeedbackPack.build(store: store, period: period), to: "\(qaFolder)/feedback") }
        MemoryProbe.mark("feedback packs")
        let computedWeekly = try WeeklyReport.build(store: store, week: isoWeek, asOf: today, parameters: pipeline.parameters, targets: pipeline.targets,
                                                    sample: WeeklyReport.SampleCoverage(folder: qaFolder + "/sample"),
                                                    readiness: readiness)
        MemoryProbe.mark("weekly report: the rest")
        var weekly = labels.map { computedWeekly.labellingAgents($0) } ?? computedWeekly
        weekly.allFunnels = pipeline.allFunnels
        weekly.monitoringNotice = pipeline.noticePerContact
            ? "Monitoring notice is given per contact: contacts without a notice flag are never sampled."
            : "Monitoring is announced to every caller: contacts without a notice flag count as notified."
        let evaluations = try ReportStatus.evaluations(store: store, period: period)
        var status = ReportStatus(final: weekly.final)
        status.written = today
        status.evaluations = evaluations.count
        status.fingerprint = evaluations.fingerprint
        status.qaScore = weekly.qaScore?.value
        if var revision, let previous {
            revision.evaluationsAfter = evaluations.count
            revision.qaAfter = weekly.qaScore?.value
            // The version replaced is kept inside the new folder, with the versions it had kept.
            let kept = folder + "/previous"
            try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
            let old = inPlace + "/previous"
            for item in (try? FileManager.default.contentsOfDirectory(atPath: old)) ?? [] {
                try FileManager.default.copyItem(atPath: old + "/" + item, toPath: kept + "/" + item)
            }
            let target = kept + "/\(revision.previous)"
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            for item in try FileManager.default.contentsOfDirectory(atPath: inPlace) where item != "previous" {
                try FileManager.default.copyItem(atPath: inPlace + "/" + item, toPath: target + "/" + item)
            }
            // KPIs of a final week never change silently: say so when late contact rows moved them.
            // (The KPI files' groups and totals are compared; their parameters carry the as-of date.)
            for name in ["kpis.json", "kpis-by-channel.json", "kpis-by-team.json", "kpis-by-agent.json"] {
                func figures(_ path: String) -> NSDictionary? {
                    guard let data = FileManager.default.contents(atPath: path),
                          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
                    return ["groups": object["groups"] ?? NSNull(), "total": object["total"] ?? NSNull()] as NSDictionary
                }
                if let before = figures(target + "/" + name), let after = figures(folder + "/" + name), before != after {
                    revision.kpisChanged = true
                }
            }
            // Unchanged figures: the final report's KPI files stay as they were, byte for byte.
            if !revision.kpisChanged {
                for name in try FileManager.default.contentsOfDirectory(atPath: target) where name.hasPrefix("kpis") {
                    try? FileManager.default.removeItem(atPath: folder + "/" + name)
                    try FileManager.default.copyItem(atPath: target + "/" + name, toPath: folder + "/" + name)
                }
            }
            status.written = previous.written  // evaluations stay awaited from the first final report
            status.revisions = previous.revisions + [revision]
            weekly.revisions = status.revisions
        }
        try weekly.write(to: folder, formats: pipeline.formats)
        MemoryProbe.mark("weekly report: written")
        try status.text.write(toFile: folder + "/.status", atomically: true, encoding: .utf8)
        logger.info("report of \(isoWeek): \(weekly.final ? "final" : "draft"), \(weekly.kpis.total.offered) contacts, \(quality.evaluations.count) evaluations")
        return weekly.final ? "final" : "draft"
    }
}

extension WeekCalendar {
    /// The sources that keep a week's frame incomplete, as sentences.
    static func frameLags(_ readiness: WeekReadiness) -> [String] {
        let monday = readiness.week.sunday.adding(days: 1)
        return readiness.behind.filter { $0.latest < monday }.map { "\($0.source): data up to \($0.latest)" }
    }
}

extension SQLStore {
}
