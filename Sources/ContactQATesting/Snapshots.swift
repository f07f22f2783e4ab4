import Foundation
import Testing

/// Compares `text` with `Tests/ContactQATests/Snapshots/<name>`. With CONTACTQA_RECORD_SNAPSHOTS=1 it
/// writes the snapshot instead and fails, so that a recording run can never pass as a check: re-record
/// after an intended change, read the diff, then run the tests again without the variable.
package func expectSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = repositoryRoot + "/Tests/ContactQATests/Snapshots/" + name
    if ProcessInfo.processInfo.environment["CONTACTQA_RECORD_SNAPSHOTS"] == "1" {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        Issue.record("recorded \(name); run the tests again without CONTACTQA_RECORD_SNAPSHOTS to compare", sourceLocation: sourceLocation)
        return
    }
    guard let recorded = try? String(contentsOfFile: path, encoding: .utf8) else {
        Issue.record("no snapshot \(path): record it with CONTACTQA_RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
        return
    }
    guard text != recorded else { return }
    let actual = FileManager.default.temporaryDirectory.appendingPathComponent("actual-" + name).path
    try text.write(toFile: actual, atomically: true, encoding: .utf8)
    let new = text.components(separatedBy: "\n"), old = recorded.components(separatedBy: "\n")
    let line = zip(new, old).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(new.count, old.count)
    Issue.record("""
        \(name) differs from its snapshot from line \(line + 1):
          recorded: \(line < old.count ? String(old[line].prefix(300)) : "(end)")
          now:      \(line < new.count ? String(new[line].prefix(300)) : "(end)")
        (all of it: diff \(path) \(actual); re-record with CONTACTQA_RECORD_SNAPSHOTS=1 if the change is intended)
        """, sourceLocation: sourceLocation)
}
