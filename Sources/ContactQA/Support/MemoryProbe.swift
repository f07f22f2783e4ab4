import Foundation

/// For measuring (docs/performance.md): with `CONTACTQA_MEMORY_PROFILE` set, `mark` prints on standard
/// error the peak resident memory since the previous mark, then resets the kernel's high-water mark
/// (Linux `clear_refs`), so each part of a stage is measured on its own. Off, a mark costs one branch.
package enum MemoryProbe {
    package static let enabled = ProcessInfo.processInfo.environment["CONTACTQA_MEMORY_PROFILE"] != nil

    package static func mark(_ label: @autoclosure () -> String) {
        guard enabled else { return }
        #if os(Linux)
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func kib(_ key: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        let peak = kib("VmHWM"), now = kib("VmRSS")
        FileHandle.standardError.write(Data("memory \(label()): peak \(peak / 1024) MiB, now \(now / 1024) MiB\n".utf8))
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        #endif
    }
}
