import Foundation

/// Writes realistic synthetic contact-centre data in the canonical CSV layout, deterministic by seed:
/// skewed agent, queue and channel volumes, lognormal handle times, abandons with short abandons,
/// repeat contacts from a customer pool (for FCR), sparse CSAT, and quoted reasons holding commas and
/// the occasional line break — the traps a parser meets in real exports.
package struct SyntheticExport: Sendable {
    package var rows: Int
    package var seed: UInt64
    /// The Monday the data starts on; contacts spread evenly over `weeks` weeks.
    package var start: LocalDate
    package var weeks: Int
    var agents = 200
    var teams = 20
    /// Prefix of the interaction ids, so that batches generated apart do not collide.
    package var idPrefix = "G"

    package init(rows: Int, seed: UInt64, start: LocalDate = LocalDate(iso: "2026-10-26")!, weeks: Int = 4) {
        self.rows = rows
        self.seed = seed
        self.start = start
        self.weeks = weeks
    }

    static let header = "interaction_id,channel,direction,queue,team,agent_id,customer_id,contact_reason,arrived_at,wait_s,abandoned,talk_s,hold_s,acw_s,csat,csat_scale,nps,monitoring_notice"

    static let queues = ["Billing", "Technical", "Sales", "Moves", "Complaints", "Retention", "Payments", "General"]
    static let reasons = ["billing", "broadband fault", "\"upgrade, new contract\"", "moving home", "\"complaint, escalated\"",
                          "cancel", "payment", "\"password reset\nlocked out\"", "other"]

    /// Writes the file; returns its size in bytes.
    @discardableResult
    package func write(to path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var rng = SplitMix64(seed: seed)
        var buffer = SyntheticExport.header + "\n"
        var written = 0
        let span = Double(weeks * 7 * 86_400)
        let startSeconds = Double(start.dayNumber) * 86_400
        let customers = max(1, rows / 3)
        for i in 0..<rows {
            // Arrivals evenly spread, with a daytime bulge: fold a uniform time towards 09:00–18:00.
            var t = startSeconds + span * Double(i) / Double(rows)
            let secondOfDay = t.truncatingRemainder(dividingBy: 86_400)
            if secondOfDay < 8 * 3600 || secondOfDay > 20 * 3600 { t += (rng.unit() < 0.7 ? 10 * 3600 : 0) - secondOfDay.truncatingRemainder(dividingBy: 3600) }
            let channelDraw = rng.unit()
            let channel = channelDraw < 0.6 ? "voice" : channelDraw < 0.85 ? "chat" : channelDraw < 0.95 ? "email" : "messaging"
            let queue = SyntheticExport.queues[min(SyntheticExport.queues.count - 1, Int(-log(max(rng.unit(), 1e-9)) * 2.2))]
            let agentIndex = min(agents - 1, Int(Double(agents) * pow(rng.unit(), 1.6)))
            let wait = channel == "email" ? exp(8 + rng.normal()) : exp(2.6 + 1.1 * rng.normal())
            let abandoned = channel != "email" && rng.unit() < 0.07
            let customer = Int(Double(customers) * pow(rng.unit(), 1.3))
            let reason = SyntheticExport.reasons[Int(rng.unit() * Double(SyntheticExport.reasons.count))]
            var line = "\(idPrefix)\(i),\(channel),inbound,\(queue),"
            if abandoned {
                let shortWait = rng.unit() < 0.3 ? rng.unit() * 5 : wait
                line += ",,+4479\(String(100_000_00 + customer)),\(reason),\(SyntheticExport.iso(t)),\(fixed(shortWait)),true,,,,,,,true\n"
            } else {
                let talk = exp(5.4 + 0.6 * rng.normal())
                let hold = rng.unit() < 0.2 ? exp(3.5 + 0.8 * rng.normal()) : 0
                let acw = exp(3.6 + 0.5 * rng.normal())
                let survey = rng.unit() < 0.15
                let csat = survey ? String(max(1, min(5, Int((4.1 + 1.1 * rng.normal()).rounded())))) : ""
                let nps = survey && rng.unit() < 0.5 ? String(max(0, min(10, Int((7.5 + 2.2 * rng.normal()).rounded())))) : ""
                line += "Team \(agentIndex % teams + 1),A\(agentIndex),+4479\(String(100_000_00 + customer)),\(reason),\(SyntheticExport.iso(t)),"
                line += "\(fixed(wait)),false,\(fixed(talk)),\(fixed(hold)),\(fixed(acw)),\(csat),\(survey ? "5" : ""),\(nps),\(rng.unit() < 0.98)\n"
            }
            buffer += line
            if buffer.utf8.count > 1 << 20 {
                try handle.write(contentsOf: Data(buffer.utf8))
                written += buffer.utf8.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: Data(buffer.utf8))
        return written + buffer.utf8.count
    }

    /// `2026-10-26T09:00:05Z` for epoch seconds.
    static func iso(_ seconds: Double) -> String {
        let s = Int64(seconds)
        let date = LocalDate(dayNumber: Int(s / 86_400))
        let r = Int(s % 86_400)
        return "\(date)T\(pad(r / 3600, 2)):\(pad(r / 60 % 60, 2)):\(pad(r % 60, 2))Z"
    }
}

private func fixed(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}
