import Foundation

/// A pipeline file (DESIGN.md §7), checked on load: unknown keys, wrong types and missing files are
/// errors naming the file, line and key. Relative paths are resolved against the pipeline's folder.
package struct Pipeline: Sendable {
    package struct Input: Sendable {
        package var source: String
        /// A glob pattern (absolute, after resolving).
        package var path: String
        package var mapping: String?
        /// A source that may deliver nothing some nights: a glob matching no file is then not an error.
        package var optional = false
        /// The error to give when the glob matches no file, naming the pipeline's line.
        var matchesNothing: ConfigError
        /// `complete: true`: the files are complete exports (a one-off file, a backfill): weeks do not
        /// wait for later data from the sources they load.
        package var complete = false

        package init(source: String, path: String, mapping: String?, optional: Bool, matchesNothing: ConfigError) {
            self.source = source
            self.path = path
            self.mapping = mapping
            self.optional = optional
            self.matchesNothing = matchesNothing
        }
    }

    /// The problems of non-optional inputs whose glob matches no file now.
    var missingInputs: [ConfigError] { inputs.filter { !$0.optional && Pipeline.expand($0.path).isEmpty }.map(\.matchesNothing) }

    /// What a run checks before it touches the store: every non-optional input's glob matches a
    /// file, and the report folder's parent can be created and written. Every problem is reported.
    func preflight() throws {
        var problems = missingInputs
        let parent = ((reportOut as NSString).deletingLastPathComponent as NSString).standardizingPath
        let probe = parent + "/.contactqa-write-check-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try Data().write(to: URL(fileURLWithPath: probe))
            try? FileManager.default.removeItem(atPath: probe)
        } catch {
            var failure = reportOutSite
            failure.reason = "cannot write report folders: \(describeFileError(error))"
            problems.append(failure)
        }
        if !problems.isEmpty { throw ConfigProblems(problems) }
    }

    /// `run --check`: everything a run would read, checked without touching the store or any folder —
    /// the input globs, the mapping files, the scorecards and the sampling plan. Every problem is reported.
    package func check() throws {
        var problems = missingInputs
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch let error as ConfigError { problems.append(error) } catch let error as ConfigProblems {
                problems += error.problems
            } catch { problems.append(ConfigError(file: name, line: nil, path: "", reason: "\(error)")) }
        }
        for input in inputs {
            if let mapping = input.mapping, let kind = SourceKind(rawValue: input.source) {
                switch kind {
                case .amazonConnectCTR, .genesysConversations, .zendeskTickets:
                    attempt { _ = try JSONMapperOptions.load(file: mapping, kind: kind) }
                default:
                    attempt { _ = try Mapping.load(file: mapping, purpose: kind == .surveys ? .surveys : .contacts) }
                }
            }
            if input.source == SourceKind.scorecard.rawValue { for file in Pipeline.expand(input.path) { attempt { _ = try Scorecard.load(file: file) } } }
        }
        if let samplingPlan { attempt { _ = try SamplingPlan.load(file: samplingPlan) } }
        if let evaluators { attempt { _ = try Evaluator.read(evaluators) } }
        // The nearest folder that exists must be writable for the report folders to be created.
        var parent = ((reportOut as NSString).deletingLastPathComponent as NSString).standardizingPath
        while !FileManager.default.fileExists(atPath: parent), parent != "/" { parent = (parent as NSString).deletingLastPathComponent }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) || !isDirectory.boolValue || access(parent, W_OK) != 0 {
            var failure = reportOutSite
            failure.reason = "cannot write report folders: \(parent) is not a writable folder"
            problems.append(failure)
        }
        if !problems.isEmpty { throw ConfigProblems(problems) }
    }

    /// Where the pipeline file sets `report.out` (file, line), for errors about the output folder.
    var reportOutSite = ConfigError(file: "pipeline", line: nil, path: "report.out", reason: "")

    package var name: String
    package var timezone: String
    package var store: String
    package var inputs: [Input]
    package var keyFile: String?
    /// Contacts older than this many days (before the as-of date) are deleted by each run.
    var retentionDays: Int?
    /// `privacy.agent_names` (default true): false puts pseudonymous agent labels in the management
    /// outputs and moves the QA working files (sample, feedback packs) out of the report folder.
    var agentNames = true
    package var targets: [String: Double] = [:]
    package var parameters = KPIParameters()
    /// The report folder pattern; `{week}` becomes the ISO week.
    var reportOut: String
    /// Where the QA working files go (sample, feedback packs) when they must stay out of the report
    /// folder (`privacy.agent_names: false`); nil: inside it.
    var qaOut: String?
    var settleSeconds = 0.0
    /// `report.formats`: which of html, md, csv and json the run writes (default all four).
    var formats: Set<String> = Pipeline.allFormats
    /// `report.feedback_packs` (default true).
    package var feedbackPacks = true
    /// `report.funnels: all` draws every team's FCR funnel; `flagged` (default) only those of teams with
    /// a colleague flagged or warned.
    var allFunnels = false
    static let allFormats: Set<String> = ["html", "md", "csv", "json"]
    /// The sampling plan the run draws the week's sample with (drawn once, then reused).
    package var samplingPlan: String?
    /// The QA team the week's sample is assigned to (`sampling.evaluators`).
    var evaluators: String?

    /// Calendar settings of the nightly job (`schedule:`).
    var schedule = Schedule()
    /// `bounds:` — plausibility bounds of ingested values (the latest day follows the run's as-of date).
    var bounds = Bounds()
    /// `report.mode`: the mode of report files (folders get the matching search bits); nil keeps the
    /// owner-only default.
    var reportMode: mode_t?
    /// `log.path`: a file every run appends its log lines to, as well as standard error.
    package var logPath: String?
    /// `privacy.monitoring_notice: per_contact`: monitoring is announced per contact, so a contact whose
    /// notice flag is unknown is never sampled; `announced_to_all` (the default) counts it as notified.
    var noticePerContact = false
    /// `report.mail`: where final reports are mailed, through the machine's sendmail interface.
    var mail: ReportMail?

    /// `schedule:` — which weeks a run without `--week` looks at, and when one may be final.
    struct Schedule: Sendable {
        var lookBackWeeks = 4
        var settleDays = 0
        var closedDays: Set<LocalDate> = []
        var retiredSources: [String: LocalDate] = [:]
    }

    /// Sources the QA team delivers after the sample is drawn: optional unless the pipeline says otherwise.
    static let deliveredLater: Set<String> = ["evaluations"]

    static let topKeys = ["name", "timezone", "store", "inputs", "settle_s", "privacy", "kpis", "targets", "scorecards", "sampling", "report",
                          "schedule", "log", "bounds"]

    /// The `bounds:` key: the earliest plausible day and the longest plausible duration and wait.
    struct Bounds: Sendable, Equatable {
        var earliest = LocalDate(year: 2000, month: 1, day: 1)
        var maximumDurationSeconds = 7 * 86_400.0
        var maximumWaitSeconds = 30 * 86_400.0

        /// The bounds of a run standing on `asOf`.
        func plausibility(asOf: LocalDate) -> PlausibilityBounds {
            var bounds = PlausibilityBounds(asOf: asOf)
            bounds.earliest = earliest
            bounds.maximumDurationSeconds = maximumDurationSeconds
            bounds.maximumWaitSeconds = maximumWaitSeconds
            return bounds
        }
    }

    /// Loads and checks a pipeline file. Every problem found is reported at once (``ConfigProblems``),
    /// each naming the file, line and key, so one pass shows all that is to mend.
    package static func load(file: String) throws -> Pipeline {
        let (pipeline, problems) = try parse(file: file)
        if !problems.isEmpty { throw ConfigProblems(problems) }
        return pipeline
    }

    /// `run --check`: the pipeline file's problems and those of everything it names (``check()``), all at once.
    package static func check(file: String) throws {
        var (pipeline, problems) = try parse(file: file)
        do { try pipeline.check() } catch let more as ConfigProblems { problems += more.problems }
        if !problems.isEmpty { throw ConfigProblems(problems) }
    }

    /// The pipeline as far as it could be read, and every problem found on the way.
    static func parse(file: String) throws -> (Pipeline, [ConfigError]) {
        let root = try ConfigNode.load(file: file)
        let base = ((file as NSString).deletingLastPathComponent as NSString).standardizingPath
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : ((base.isEmpty ? "." : base) as NSString).appendingPathComponent(path)
        }
        var problems: [ConfigError] = []
        /// Runs one check; a problem is noted and the load goes on with the next key.
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch let error as ConfigError { problems.append(error) } catch let error as ConfigProblems {
                problems += error.problems
            } catch { problems.append(root.error("\(error)")) }
        }
        /// A mapping's entries; an unknown key is noted as a problem and the known ones are still read.
        func keys(_ node: ConfigNode?, _ allowed: [String]) throws -> [String: ConfigNode]? {
            guard let node else { return nil }
            let all = try node.dictionary(allowed: nil)
            attempt { _ = try node.dictionary(allowed: allowed) }
            return all
        }
        var top: [String: ConfigNode] = [:]
        attempt { top = try keys(root, topKeys) ?? [:] }
        func required(_ key: String) throws -> ConfigNode {
            guard let node = top[key] else { throw root.error("the pipeline needs `\(key):`") }
            return node
        }
        var timezone = "UTC"
        attempt {
            let timezoneNode = try required("timezone")
            timezone = try timezoneNode.string()
            guard ZoneClock(identifier: timezone) != nil else { throw timezoneNode.error("unknown time zone \"\(timezone)\"") }
        }
        var inputs: [Input] = []
        attempt {
            for node in try required("inputs").list() {
                attempt {
                    let entry = try keys(node, ["source", "path", "mapping", "optional", "complete"])!
                    guard let sourceNode = entry["source"] else { throw node.error("each input names its `source:`") }
                    guard let pathNode = entry["path"] else { throw node.error("each input names its `path:`") }
                    let source = try sourceNode.string()
                    guard IngestService.supportedSources.contains(source) else {
                        throw sourceNode.error("source \"\(source)\" is not supported yet; this version reads \(IngestService.supportedSources.joined(separator: ", "))")
                    }
                    var mapping: String?
                    if let mappingNode = entry["mapping"] {
                        let path = resolve(try mappingNode.string())
                        guard FileManager.default.fileExists(atPath: path) else { throw mappingNode.error("mapping file \(path) does not exist") }
                        mapping = path
                    } else if SourceKind(rawValue: source)?.needsMapping == true {
                        throw node.error("a \(source) input needs `mapping:`")
                    }
                    let path = resolve(try pathNode.string())
                    // What the QA team delivers arrives after the sample is drawn: absent files are normal then.
                    let optional = try entry["optional"]?.bool() ?? Pipeline.deliveredLater.contains(source)
                    var input = Input(source: source, path: path, mapping: mapping, optional: optional,
                                      matchesNothing: pathNode.error("\"\(try pathNode.string())\" matches no file (\(path)); add `optional: true` to an input that may deliver nothing"))
                    input.complete = try entry["complete"]?.bool() ?? false
                    inputs.append(input)
                }
            }
        }
        // `scorecards:` registers scorecard files before any input, so evaluations can refer to them.
        if let node = top["scorecards"] {
            attempt {
                let globs = try node.list()
                inputs.insert(contentsOf: try globs.map { item in
                    let pattern = try item.string()
                    return Input(source: "scorecard", path: resolve(pattern), mapping: nil, optional: false,
                                 matchesNothing: item.error("\"\(pattern)\" matches no scorecard file (\(resolve(pattern)))"))
                }, at: 0)
            }
        }
        var store = ""
        attempt { store = try required("store").string(); if !PostgresStore.isURL(store) { store = resolve(store) } }
        var pipeline = Pipeline(name: (try? top["name"]?.string()) ?? "pipeline", timezone: timezone, store: store, inputs: inputs,
                                reportOut: resolve("reports/{week}"))
        if let node = top["settle_s"] { attempt { pipeline.settleSeconds = try node.double() } }
        var privacyNode: ConfigNode?
        attempt {
            guard let privacy = try keys(top["privacy"], ["key_file", "retention_days", "agent_names", "monitoring_notice"]) else { return }
            privacyNode = top["privacy"]
            if let node = privacy["key_file"] {
                attempt {
                    let path = resolve(try node.string())
                    guard FileManager.default.fileExists(atPath: path) else {
                        throw node.error("key file \(path) does not exist (create one with `contactqa ingest --generate-key FILE`)")
                    }
                    pipeline.keyFile = path
                }
            }
            if let node = privacy["retention_days"] {
                attempt {
                    let days = try node.int()
                    guard days >= 1 else { throw node.error("retention_days must be at least 1") }
                    pipeline.retentionDays = days
                }
            }
            if let node = privacy["monitoring_notice"] {
                attempt {
                    switch try node.string() {
                    case "announced_to_all": pipeline.noticePerContact = false
                    case "per_contact": pipeline.noticePerContact = true
                    default: throw node.error("monitoring_notice is announced_to_all (every caller hears the notice; the default) or per_contact")
                    }
                }
            }
            if let node = privacy["agent_names"] {
                attempt {
                    pipeline.agentNames = try node.bool()
                    if !pipeline.agentNames, privacy["key_file"] == nil {
                        throw node.error("agent_names: false labels colleagues with the site key: set privacy.key_file")
                    }
                }
            }
        }
        if let node = top["targets"] {
            attempt {
                for (key, node) in try node.entries(allowed: TrackedKPI.allCases.map(\.rawValue)) { attempt { pipeline.targets[key] = try node.double() } }
            }
        }
        attempt {
            guard let kpis = try keys(top["kpis"], ["short_abandon_s", "service_level_s", "fcr", "csat_top_boxes"]) else { return }
            if let node = kpis["short_abandon_s"] {
                attempt {
                    let seconds = try node.double()
                    guard seconds >= 0, seconds <= 86_400 else { throw node.error("short_abandon_s lies in 0–86400 seconds") }
                    pipeline.parameters.shortAbandonSeconds = seconds
                }
            }
            if let node = kpis["service_level_s"] {
                attempt {
                    for (key, value) in try node.entries(allowed: Channel.allCases.map(\.rawValue)) {
                        attempt { pipeline.parameters.serviceLevelSeconds[Channel(rawValue: key)!] = try value.double() }
                    }
                }
            }
            attempt {
                guard let fcr = try keys(kpis["fcr"], ["window_days", "match", "method"]) else { return }
                if let node = fcr["window_days"] {
                    attempt {
                        let days = try node.int()
                        guard (1...366).contains(days) else { throw node.error("the FCR window is 1 to 366 days") }
                        pipeline.parameters.fcrWindowDays = days
                    }
                }
                if let node = fcr["match"] {
                    attempt {
                        guard let match = KPIParameters.FCRMatch(rawValue: try node.string()) else { throw node.error("match is customer or customer+reason") }
                        pipeline.parameters.fcrMatch = match
                    }
                }
                if let node = fcr["method"] {
                    attempt {
                        guard let method = KPIParameters.FCRMethod(rawValue: try node.string()) else { throw node.error("method is repeat_contact or resolved") }
                        pipeline.parameters.fcrMethod = method
                    }
                }
            }
            if let node = kpis["csat_top_boxes"] {
                attempt {
                    let boxes = try node.int()
                    guard boxes >= 1 else { throw node.error("csat_top_boxes must be at least 1") }
                    pipeline.parameters.csatTopBoxes = boxes
                }
            }
        }
        attempt {
            guard let bounds = try keys(top["bounds"], ["earliest", "max_duration_s", "max_wait_s"]) else { return }
            if let node = bounds["earliest"] {
                attempt {
                    guard let day = LocalDate(iso: try node.string()), day.components.year >= 1970 else {
                        throw node.error("earliest is a date YYYY-MM-DD from 1970 on")
                    }
                    pipeline.bounds.earliest = day
                }
            }
            for (key, path) in [("max_duration_s", \Bounds.maximumDurationSeconds), ("max_wait_s", \Bounds.maximumWaitSeconds)] {
                guard let node = bounds[key] else { continue }
                attempt {
                    let seconds = try node.double()
                    guard seconds >= 60, seconds <= 366 * 86_400 else { throw node.error("\(key) lies in 60–31622400 seconds (a minute to a year)") }
                    pipeline.bounds[keyPath: path] = seconds
                }
            }
        }
        attempt {
            guard let schedule = try keys(top["schedule"], ["look_back_weeks", "settle_days", "closed_days", "retired_sources"]) else { return }
            if let node = schedule["look_back_weeks"] {
                attempt {
                    let weeks = try node.int()
                    guard (0...52).contains(weeks) else { throw node.error("look_back_weeks is 0 to 52") }
                    pipeline.schedule.lookBackWeeks = weeks
                }
            }
            if let node = schedule["settle_days"] {
                attempt {
                    let days = try node.int()
                    guard (0...60).contains(days) else { throw node.error("settle_days is 0 to 60") }
                    pipeline.schedule.settleDays = days
                }
            }
            if let node = schedule["closed_days"] {
                attempt {
                    for item in try node.list() {
                        attempt {
                            guard let day = LocalDate(iso: try item.string()) else { throw item.error("\"\(try item.string())\" is not a date YYYY-MM-DD") }
                            pipeline.schedule.closedDays.insert(day)
                        }
                    }
                }
            }
            if let node = schedule["retired_sources"] {
                attempt {
                    for (source, value) in try node.entries() {
                        attempt {
                            guard let day = LocalDate(iso: try value.string()) else { throw value.error("\"\(try value.string())\" is not a date YYYY-MM-DD") }
                            pipeline.schedule.retiredSources[source] = day
                        }
                    }
                }
            }
        }
        var reportNode: [String: ConfigNode]?
        attempt { reportNode = try keys(top["report"], ["out", "qa_out", "formats", "feedback_packs", "funnels", "mode", "mail"]) }
        if let node = reportNode?["qa_out"] { attempt { pipeline.qaOut = resolve(try node.string()) } }
        if let node = reportNode?["formats"] {
            attempt {
                var formats = Set<String>()
                for item in try node.list() {
                    attempt {
                        let format = try item.string()
                        guard Pipeline.allFormats.contains(format) else {
                            throw item.error("unknown report format \"\(format)\"; the formats are \(Pipeline.allFormats.sorted().joined(separator: ", "))")
                        }
                        formats.insert(format)
                    }
                }
                guard !formats.isEmpty else { throw node.error("formats lists none of \(Pipeline.allFormats.sorted().joined(separator: ", "))") }
                pipeline.formats = formats
            }
        }
        if let node = reportNode?["feedback_packs"] { attempt { pipeline.feedbackPacks = try node.bool() } }
        if let node = reportNode?["funnels"] {
            attempt {
                let value = try node.string()
                guard ["flagged", "all"].contains(value) else { throw node.error("funnels is \"flagged\" (teams with a colleague flagged or warned, the default) or \"all\", not \"\(value)\"") }
                pipeline.allFunnels = value == "all"
            }
        }
        if let node = reportNode?["mode"] {
            attempt {
                let text = try node.string()
                guard text.count >= 3, text.count <= 4, let mode = Int(text, radix: 8), mode & 0o600 == 0o600, mode & 0o7000 == 0 else {
                    throw node.error("mode is an octal file mode that the owner can read and write, such as \"0640\" (group-readable) or \"0600\"")
                }
                pipeline.reportMode = mode_t(mode)
            }
        }
        if let node = reportNode?["mail"] {
            attempt {
                let mail = try keys(node, ["to", "from", "subject", "sendmail"])!
                func strings(_ key: String) throws -> [String] {
                    guard let value = mail[key] else { throw node.error("report.mail needs `\(key):`") }
                    if let list = try? value.list() { return try list.map { try $0.string() } }
                    return try value.string().split(separator: " ").map(String.init)
                }
                let to = try strings("to")
                guard !to.isEmpty, to.allSatisfy({ $0.contains("@") }) else { throw mail["to"]!.error("to: lists e-mail addresses") }
                guard let fromNode = mail["from"] else { throw node.error("report.mail needs `from:`") }
                var config = ReportMail(to: to, from: try fromNode.string())
                if let subject = mail["subject"] { config.subject = try subject.string() }
                if mail["sendmail"] != nil {
                    config.sendmail = try strings("sendmail")
                    guard config.sendmail.first?.hasPrefix("/") == true else {
                        throw mail["sendmail"]!.error("sendmail: the program's absolute path first, e.g. \"/usr/sbin/sendmail -t -oi\"")
                    }
                }
                pipeline.mail = config
            }
        }
        if !pipeline.agentNames, pipeline.qaOut == nil {
            problems.append((privacyNode ?? root).error("agent_names: false keeps the QA working files (sample, feedback packs, which name colleagues) out of the report folder: set report.qa_out, e.g. \"qa/{week}\""))
        }
        if let node = reportNode?["out"] {
            attempt {
                pipeline.reportOut = resolve(try node.string())
                pipeline.reportOutSite = node.error("")
            }
        }
        attempt {
            guard let sampling = try keys(top["sampling"], ["plan", "evaluators"]) else { return }
            if let node = sampling["evaluators"] {
                let path = resolve(try node.string())
                guard FileManager.default.fileExists(atPath: path) else { throw node.error("QA team file \(path) does not exist") }
                guard sampling["plan"] != nil else { throw node.error("evaluators are assigned a sample: give sampling.plan too") }
                pipeline.evaluators = path
            }
            guard let node = sampling["plan"] else { return }
            let path = resolve(try node.string())
            guard FileManager.default.fileExists(atPath: path) else { throw node.error("sampling plan \(path) does not exist") }
            pipeline.samplingPlan = path
        }
        attempt {
            guard let log = try keys(top["log"], ["path"]), let node = log["path"] else { return }
            pipeline.logPath = resolve(try node.string())
        }
        return (pipeline, problems)
    }

    /// The files an input's pattern matches now, sorted by name.
    static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
