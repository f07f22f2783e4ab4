import Foundation

/// The few POSIX calls ContactQA makes itself, each retried when a signal interrupts it (EINTR) — a
/// progress timer or a terminal resize must not turn into a failed read.
enum POSIX {
    /// `open(2)`; -1 with `errno` set on failure.
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        retryingOnInterrupt { Glibc.open(path, flags, mode) }
    }

    /// `read(2)`: up to `count` bytes; 0 at the end of the file, -1 with `errno` set on failure.
    static func read(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        retryingOnInterrupt { Glibc.read(descriptor, buffer, count) }
    }

    /// `write(2)` until every byte is written; false with `errno` set on failure.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = retryingOnInterrupt { Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            if n < 0 { return false }
            offset += n
        }
        return true
    }

    /// `flock(2)`; 0 on success.
    static func flock(_ descriptor: Int32, _ operation: Int32) -> Int32 {
        retryingOnInterrupt { systemFlock(descriptor, operation) }
    }

    private static func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result == -1, errno == EINTR { continue }
            return result
        }
    }
}

/// `flock(2)`, named apart from the `flock` struct of the same module.
private func systemFlock(_ descriptor: Int32, _ operation: Int32) -> Int32 { flock(descriptor, operation) }
