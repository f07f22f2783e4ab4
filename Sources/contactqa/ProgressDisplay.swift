import Foundation

/// A one-line progress bar on stderr, shown only when stderr is a terminal (never in cron's logs).
enum ProgressDisplay {
    static let enabled = isatty(2) == 1

    /// A closure for the importers: redraws at most every whole percent.
    static func bar() -> (@Sendable (String, Int, Int) -> Void)? {
        guard enabled else { return nil }
        let last = LastPercent()
        return { file, done, total in
            guard total > 0 else { return }
            let percent = min(100, done * 100 / total)
            guard last.advance(to: percent, file: file) else { return }
            let filled = percent / 4
            let line = "\r[" + String(repeating: "=", count: filled) + String(repeating: " ", count: 25 - filled) + "] \(percent)% \(file)"
            FileHandle.standardError.write(Data((line + (percent == 100 ? "\n" : "")).utf8))
        }
    }

    /// The last percentage drawn per file, behind a lock (the closure is @Sendable).
    private final class LastPercent: @unchecked Sendable {
        private let lock = NSLock()
        private var file = ""
        private var percent = -1

        func advance(to value: Int, file name: String) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            if name != file { file = name; percent = -1 }
            guard value > percent else { return false }
            percent = value
            return true
        }
    }
}
