import Foundation

/// A pipeline file (DESIGN.md §7), checked on load: unknown keys, wrong types and missing files are
/// errors naming the file, line and key. Relative paths are resolved against the pipeline's folder.
public struct Pipeline: Sendable {
    public struct Input: Sendable {
        public var source: String
        /// A glob pattern (absolute, after resolving).
        public var path: String
        public var mapping: String?
        /// A source that may deliver nothing some nights: a glob matching no file is then not an error.
        public var optional = false
        /// The error to give when the glob matches no file, naming the pipeline's line.
        public var matchesNothing: ConfigError
    }

    /// What a run checks before it touches the store: every non-optional input's glob matches a
    /// file, and the report folder's parent can be created and written.
    public func preflight() throws {
        for input in inputs where !input.optional && Pipeline.expand(input.path).isEmpty { throw input.matchesNothing }
        let parent = ((reportOut as NSString).deletingLastPathComponent as NSString).standardizingPath
        let probe = parent + "/.contactqa-write-check-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try Data().write(to: URL(fileURLWithPath: probe))
            try? FileManager.default.removeItem(atPath: probe)
        } catch {
            var failure = reportOutSite
            failure.reason = "cannot write report folders: \(describeFileError(error))"
            throw failure
        }
    }

    /// Where the pipeline file sets `report.out` (file, line), for errors about the output folder.
    public var reportOutSite = ConfigError(file: "pipeline", line: nil, path: "report.out", reason: "")

    public var name: String
    public var timezone: String
    public var store: String
    public var inputs: [Input]
    public var keyFile: String?
    /// Contacts older than this many days (before the as-of date) are deleted by each run.
    public var retentionDays: Int?
    /// `privacy.agent_names` (default true): false puts pseudonymous agent labels in the management
    /// outputs and moves the QA working files (sample, feedback packs) out of the report folder.
    public var agentNames = true
    public var targets: [String: Double] = [:]
    public var parameters = KPIParameters()
    /// The report folder pattern; `{week}` becomes the ISO week.
    public var reportOut: String
    /// Where the QA working files go (sample, feedback packs) when they must stay out of the report
    /// folder (`privacy.agent_names: false`); nil: inside it.
    public var qaOut: String?
    public var settleSeconds = 0.0
    /// `report.formats`: which of html, md, csv and json the run writes (default all four).
    public var formats: Set<String> = Pipeline.allFormats
    /// `report.feedback_packs` (default true).
    public var feedbackPacks = true
    public static let allFormats: Set<String> = ["html", "md", "csv", "json"]
    /// The sampling plan the run draws the week's sample with (drawn once, then reused).
    public var samplingPlan: String?

    static let topKeys = ["name", "timezone", "store", "inputs", "settle_s", "privacy", "kpis", "targets", "scorecards", "sampling", "report"]

    public static func load(file: String) throws -> Pipeline {
        let root = try ConfigNode.load(file: file)
        let base = ((file as NSString).deletingLastPathComponent as NSString).standardizingPath
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : ((base.isEmpty ? "." : base) as NSString).appendingPathComponent(path)
        }
        let top = try root.dictionary(allowed: topKeys)
        func required(_ key: String) throws -> ConfigNode {
            guard let node = top[key] else { throw root.error("the pipeline needs `\(key):`") }
            return node
        }
        let timezoneNode = try required("timezone")
        let timezone = try timezoneNode.string()
        guard ZoneClock(identifier: timezone) != nil else { throw timezoneNode.error("unknown time zone \"\(timezone)\"") }
        var inputs: [Input] = []
        for node in try required("inputs").list() {
            let entry = try node.dictionary(allowed: ["source", "path", "mapping", "optional"])
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
            } else if source == "csv" || source == "surveys" {
                throw node.error("a \(source) input needs `mapping:`")
            }
            let path = resolve(try pathNode.string())
            inputs.append(Input(source: source, path: path, mapping: mapping, optional: try entry["optional"]?.bool() ?? false,
                                matchesNothing: pathNode.error("\"\(try pathNode.string())\" matches no file (\(path)); add `optional: true` to an input that may deliver nothing")))
        }
        // `scorecards:` (DESIGN.md §7) registers scorecard files before any input, so evaluations can refer to them.
        if let node = top["scorecards"] {
            let globs = try node.list()
            inputs.insert(contentsOf: try globs.map { item in
                let pattern = try item.string()
                return Input(source: "scorecard", path: resolve(pattern), mapping: nil, optional: false,
                             matchesNothing: item.error("\"\(pattern)\" matches no scorecard file (\(resolve(pattern)))"))
            }, at: 0)
        }
        var pipeline = Pipeline(name: try top["name"]?.string() ?? "pipeline", timezone: timezone,
                                store: try { let store = try required("store").string(); return PostgresStore.isURL(store) ? store : resolve(store) }(),
                                inputs: inputs,
                                reportOut: resolve("reports/{week}"))
        if let node = top["settle_s"] { pipeline.settleSeconds = try node.double() }
        if let privacy = try top["privacy"]?.dictionary(allowed: ["key_file", "retention_days", "agent_names"]) {
            if let node = privacy["key_file"] {
                let path = resolve(try node.string())
                guard FileManager.default.fileExists(atPath: path) else {
                    throw node.error("key file \(path) does not exist (create one with `contactqa ingest --generate-key FILE`)")
                }
                pipeline.keyFile = path
            }
            if let node = privacy["retention_days"] {
                let days = try node.int()
                guard days >= 1 else { throw node.error("retention_days must be at least 1") }
                pipeline.retentionDays = days
            }
            if let node = privacy["agent_names"] {
                pipeline.agentNames = try node.bool()
                if !pipeline.agentNames, pipeline.keyFile == nil {
                    throw node.error("agent_names: false labels colleagues with the site key: set privacy.key_file")
                }
            }
        }
        if let targets = try top["targets"]?.entries(allowed: TrackedKPI.allCases.map(\.rawValue)) {
            for (key, node) in targets { pipeline.targets[key] = try node.double() }
        }
        if let kpis = try top["kpis"]?.dictionary(allowed: ["short_abandon_s", "service_level_s", "fcr", "csat_top_boxes"]) {
            if let node = kpis["short_abandon_s"] { pipeline.parameters.shortAbandonSeconds = try node.double() }
            if let node = kpis["service_level_s"] {
                for (key, value) in try node.entries(allowed: Channel.allCases.map(\.rawValue)) {
                    pipeline.parameters.serviceLevelSeconds[Channel(rawValue: key)!] = try value.double()
                }
            }
            if let fcr = try kpis["fcr"]?.dictionary(allowed: ["window_days", "match", "method"]) {
                if let node = fcr["window_days"] {
                    let days = try node.int()
                    guard days > 0 else { throw node.error("the FCR window must be at least 1 day") }
                    pipeline.parameters.fcrWindowDays = days
                }
                if let node = fcr["match"] {
                    guard let match = KPIParameters.FCRMatch(rawValue: try node.string()) else { throw node.error("match is customer or customer+reason") }
                    pipeline.parameters.fcrMatch = match
                }
                if let node = fcr["method"] {
                    guard let method = KPIParameters.FCRMethod(rawValue: try node.string()) else { throw node.error("method is repeat_contact or resolved") }
                    pipeline.parameters.fcrMethod = method
                }
            }
            if let node = kpis["csat_top_boxes"] {
                let boxes = try node.int()
                guard boxes >= 1 else { throw node.error("csat_top_boxes must be at least 1") }
                pipeline.parameters.csatTopBoxes = boxes
            }
        }
        let reportNode = try top["report"]?.dictionary(allowed: ["out", "qa_out", "formats", "feedback_packs"])
        if let node = reportNode?["qa_out"] { pipeline.qaOut = resolve(try node.string()) }
        if let node = reportNode?["formats"] {
            var formats = Set<String>()
            for item in try node.list() {
                let format = try item.string()
                guard Pipeline.allFormats.contains(format) else {
                    throw item.error("unknown report format \"\(format)\"; the formats are \(Pipeline.allFormats.sorted().joined(separator: ", "))")
                }
                formats.insert(format)
            }
            guard !formats.isEmpty else { throw node.error("formats lists none of \(Pipeline.allFormats.sorted().joined(separator: ", "))") }
            pipeline.formats = formats
        }
        if let node = reportNode?["feedback_packs"] { pipeline.feedbackPacks = try node.bool() }
        if !pipeline.agentNames, pipeline.qaOut == nil {
            throw (top["privacy"] ?? root).error("agent_names: false keeps the QA working files (sample, feedback packs, which name colleagues) out of the report folder: set report.qa_out, e.g. \"qa/{week}\"")
        }
        if let report = reportNode, let node = report["out"] {
            pipeline.reportOut = resolve(try node.string())
            pipeline.reportOutSite = node.error("")
        }
        if let sampling = try top["sampling"]?.dictionary(allowed: ["plan"]), let node = sampling["plan"] {
            let path = resolve(try node.string())
            guard FileManager.default.fileExists(atPath: path) else { throw node.error("sampling plan \(path) does not exist") }
            pipeline.samplingPlan = path
        }
        return pipeline
    }

    /// The files an input's pattern matches now, sorted by name.
    public static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
