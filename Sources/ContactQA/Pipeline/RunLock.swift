private import CRenameExchange
import Foundation

/// One run per store at a time: an exclusive `flock` on `<store>.lock`, released when the process ends
/// (even when it is killed), so a crashed run never leaves a stale lock behind.
package final class RunLock {
    package struct Held: Error, CustomStringConvertible {
        package let path: String
        package var description: String { "another run holds the store's lock (\(path)); try again when it has finished" }
    }

    private let fd: Int32
    package let path: String

    package init(store: String) throws {
        path = store + ".lock"
        let directory = (store as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        fd = POSIX.open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        guard POSIX.flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw Held(path: path)
        }
    }

    deinit {
        _ = POSIX.flock(fd, LOCK_UN)
        close(fd)
    }
}

/// Writes a folder completely or not at all: everything goes into a sibling folder that is renamed
/// into place at the end, replacing the old one, so readers never see a half-written report.
struct AtomicFolder {
    let destination: String
    let staging: String
    /// Leftovers of earlier runs that could not be removed, each with the reason: the caller reports
    /// them (they take space and hold personal data until someone removes them).
    private(set) var leftovers: [String] = []

    /// Starts a staging folder beside `destination` (hidden: `.NAME.partial-PID`). Call it holding
    /// the run lock: staging and swapped-out folders left by a killed run are removed here.
    package init(destination: String) throws {
        self.destination = destination
        let parent = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        staging = (parent.isEmpty ? "" : parent + "/") + ".\(name).partial-\(getpid())"
        let fm = FileManager.default
        try fm.createDirectory(atPath: parent.isEmpty ? "." : parent, withIntermediateDirectories: true)
        for leftover in (try? fm.contentsOfDirectory(atPath: parent.isEmpty ? "." : parent)) ?? []
        where leftover.hasPrefix(".\(name).partial-") || leftover.hasPrefix(".\(name).old-") {
            let path = (parent.isEmpty ? "" : parent + "/") + leftover
            if let problem = AtomicFolder.remove(path) { leftovers.append(problem) }
        }
        try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
    }

    /// Puts the staged folder in place. Replacing an existing folder is one atomic swap
    /// (renameat2 RENAME_EXCHANGE), so a kill at any instant leaves the old or the new folder,
    /// never neither; the swapped-out old folder is removed afterwards (or by the next run).
    /// - Returns: the swapped-out previous version when it could not be removed, with the reason.
    @discardableResult
    package func commit() throws -> String? {
        let fm = FileManager.default
        guard fm.fileExists(atPath: destination) else {
            try fm.moveItem(atPath: staging, toPath: destination)
            return nil
        }
        guard contactqa_rename_exchange(staging, destination) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination,
                NSLocalizedDescriptionKey: "cannot swap \(staging) into \(destination): \(String(cString: strerror(errno)))"])
        }
        return AtomicFolder.remove(staging)  // now holds the previous version
    }

    /// Removes a folder; nil when done, else what is left and why.
    static func remove(_ path: String) -> String? {
        do {
            try FileManager.default.removeItem(atPath: path)
            return nil
        } catch {
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let reason = if let underlying, underlying.domain == NSPOSIXErrorDomain {
                String(cString: strerror(Int32(underlying.code)))
            } else if (error as? CocoaError)?.code == .fileWriteNoPermission {
                "no permission to remove it or something inside it"
            } else {
                error.localizedDescription
            }
            return "\(path) could not be removed (\(reason)); it holds an earlier version of the report — remove it by hand"
        }
    }

    package func abandon() { try? FileManager.default.removeItem(atPath: staging) }
}

/// Not `Sendable`: a lock held by this process, released when it is freed.
@available(*, unavailable)
extension RunLock: Sendable {}
