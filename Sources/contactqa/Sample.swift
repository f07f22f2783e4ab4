import ArgumentParser
import ContactQA
import Foundation

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw, verify and extend representative QA samples (docs/sampling.md).",
        subcommands: [Draw.self, Verify.self, Spot.self],
        defaultSubcommand: Draw.self
    )
}

extension Sample {
    struct Draw: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "draw",
            abstract: "Draw the plan's sample of a period (or write again the one recorded) into --out: sample.csv and manifest.json."
        )

        @OptionGroup var store: StoreOptions
        @Option(help: "The sampling plan (YAML).") var plan: String
        @OptionGroup var period: PeriodOptions
        @Option(parsing: .unconditional, help: "Overrides the plan's seed.") var seed: UInt64?
        @Option(help: "The folder for sample.csv and manifest.json.") var out: String
        @Flag(help: "Record a new draw when the recorded sample of this period used another plan or seed.") var redraw = false
        @Option(help: "The QA team (evaluator_id, name, capacity, excluded_teams): also write assignments.csv, who evaluates what.")
        var evaluators: String?

        func run() throws {
            let opened = try store.open()
            var samplingPlan = try SamplingPlan.load(file: plan)
            if let seed { samplingPlan.seed = seed }
            let (manifest, outcome) = try SamplingService(store: opened).sample(plan: samplingPlan, period: try period.period(siteTimeZone: opened.siteTimeZone),
                                                                           out: out, redraw: redraw)
            let selected = manifest.sample.selected.count
            switch outcome {
            case .drawn(let id): FileHandle.standardError.write(Data("drew \(selected) of \(manifest.sample.frameSize) units (sample #\(id)) into \(out)\n".utf8))
            case .reused(let id): FileHandle.standardError.write(Data("reused the recorded sample #\(id) (\(selected) units) into \(out); it is never redrawn silently\n".utf8))
            }
            for adjustment in manifest.sample.adjustments { FileHandle.standardError.write(Data("adjusted: \(adjustment)\n".utf8)) }
            if let evaluators {
                let assignment = try SamplingService(store: opened).assign(manifest, evaluators: try Evaluator.read(evaluators),
                                                                           calibrationShare: samplingPlan.calibrationShare, out: out)
                FileHandle.standardError.write(Data("\(assignment.summary) (assignments.csv)\n".utf8))
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-derive a sample from the store's data and say whether it is identical (exit 0) or what differs (exit 1)."
        )

        @Argument(help: "The manifest.json of the sample.") var manifest: String
        @Option(help: "The store (default: the one named in the manifest).") var store: String?

        func run() throws {
            let path: String
            if let store {
                path = store
            } else {
                let data = try Data(contentsOf: URL(fileURLWithPath: manifest))
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let named = object["store"] as? String else {
                    throw ValidationError("the manifest names no store; pass --store")
                }
                path = named
            }
            let result = try SamplingService(store: try openExistingStore(path)).verify(manifestPath: manifest)
            if result.identical {
                print("identical: the sample re-derives unit for unit from the store's current data")
                return
            }
            print("differs: \(result.differences.count) difference\(result.differences.count == 1 ? "" : "s")")
            for line in result.differences { print("- \(line)") }
            throw ExitCode(1)
        }
    }

    struct Spot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw extra spot checks of one agent (reason spot; kept out of representative estimates)."
        )

        @OptionGroup var store: StoreOptions
        @OptionGroup var period: PeriodOptions
        @Option(help: "The agent to spot-check.") var agent: String
        @Option(parsing: .unconditional, help: "How many units.") var n: Int
        @Option(parsing: .unconditional, help: "The seed of the spot draw.") var seed: UInt64 = 1
        @Option(help: "The folder for sample.csv and manifest.json.") var out: String

        func validate() throws {
            guard n >= 1 else { throw ValidationError("--n must be at least 1") }
        }

        func run() throws {
            let opened = try store.open()
            let manifest = try SamplingService(store: opened).spot(period: try period.period(siteTimeZone: opened.siteTimeZone), agent: agent,
                                                                   n: n, seed: seed, out: out)
            FileHandle.standardError.write(Data("drew \(manifest.sample.selected.count) spot checks of \(agent) into \(out)\n".utf8))
            for adjustment in manifest.sample.adjustments { FileHandle.standardError.write(Data("adjusted: \(adjustment)\n".utf8)) }
        }
    }
}
