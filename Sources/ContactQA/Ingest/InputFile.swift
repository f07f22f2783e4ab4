private import CZlib
import Foundation

/// An input file read in chunks, gzip-compressed or not: content that starts with gzip's magic bytes
/// (1F 8B), whatever the file's name, is inflated as it is read (zlib, streaming, concatenated members
/// included — Kinesis Firehose writes CTRs this way), so memory stays one chunk either way.
final class InputFile {
    let displayName: String
    private let fd: Int32
    /// zlib's stream state, at a fixed address (zlib checks it is the one it was initialised with).
    private var stream: UnsafeMutablePointer<z_stream>?
    private let compressed: UnsafeMutablePointer<UInt8>
    private let compressedCapacity = 1 << 16
    private var endOfFile = false
    private var finished = false
    /// Whether the content is gzip-compressed.
    let isGzip: Bool

    init(path: String) throws(InputError) {
        displayName = (path as NSString).lastPathComponent
        fd = POSIX.open(path, O_RDONLY)
        compressed = .allocate(capacity: compressedCapacity)
        guard fd >= 0 else {
            let reason = errno == EACCES ? "cannot open the file: permission denied" : "cannot open the file: \(String(cString: strerror(errno)))"
            compressed.deallocate()
            throw InputError(file: displayName, reason: reason)
        }
        // Peek at the first bytes: gzip content starts 1F 8B.
        let n = POSIX.read(fd, compressed, compressedCapacity)
        isGzip = n >= 2 && compressed[0] == 0x1F && compressed[1] == 0x8B
        let magic = Array(UnsafeBufferPointer(start: compressed, count: max(0, min(n, 4))))
        for (prefix, format, tool) in [([0x50, 0x4B, 0x03, 0x04], "a zip archive", "unzip"), ([0x42, 0x5A, 0x68], "bzip2-compressed", "bunzip2"),
                                       ([0x28, 0xB5, 0x2F, 0xFD], "zstd-compressed", "unzstd"), ([0xFD, 0x37, 0x7A, 0x58], "xz-compressed", "unxz")]
            where magic.starts(with: prefix.map(UInt8.init)) {
            // Every stored property is set from here on: deinit closes the file and frees the buffer.
            throw InputError(file: displayName, reason: "the file is \(format); ContactQA reads gzip-compressed files as they are, but not this: \(tool) it first")
        }
        if isGzip {
            let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            z.initialize(to: z_stream())
            // 15 + 32: a zlib or gzip header, detected; the largest window.
            guard inflateInit2_(z, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                z.deallocate()
                throw InputError(file: displayName, reason: "cannot start gzip decompression: out of memory")
            }
            z.pointee.next_in = compressed
            z.pointee.avail_in = UInt32(max(n, 0))
            stream = z
        } else {
            // Not compressed: the peeked bytes are the first of the content.
            pendingPlain = max(n, 0)
        }
        if n <= 0 { endOfFile = true }
    }

    /// Bytes peeked from an uncompressed file and not yet returned.
    private var pendingPlain = 0

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        compressed.deallocate()
        close(fd)
    }

    /// Reads up to `buffer.count` bytes of content; 0 at its end.
    /// - Throws: `InputError` for a read error, damaged gzip data or gzip data cut off.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        guard let z = stream else {
            if pendingPlain > 0 {
                let n = min(pendingPlain, buffer.count)
                base.copyMemory(from: compressed, byteCount: n)
                if n < pendingPlain { memmove(compressed, compressed + n, pendingPlain - n) }
                pendingPlain -= n
                return n
            }
            let n = POSIX.read(fd, base, buffer.count)
            if n < 0 { throw InputError(file: displayName, reason: "read failed: \(String(cString: strerror(errno)))") }
            return n
        }
        while !finished {
            if z.pointee.avail_in == 0, !endOfFile {
                let n = POSIX.read(fd, compressed, compressedCapacity)
                if n < 0 { throw InputError(file: displayName, reason: "read failed: \(String(cString: strerror(errno)))") }
                if n == 0 { endOfFile = true } else {
                    z.pointee.next_in = compressed
                    z.pointee.avail_in = UInt32(n)
                }
            }
            z.pointee.next_out = base.assumingMemoryBound(to: UInt8.self)
            z.pointee.avail_out = UInt32(buffer.count)
            let status = inflate(z, Z_NO_FLUSH)
            let produced = buffer.count - Int(z.pointee.avail_out)
            switch status {
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated files); otherwise the content ends here.
                if z.pointee.avail_in > 0 || !endOfFile && peekMore(z) {
                    inflateReset(z)
                } else {
                    finished = true
                }
            case Z_OK:
                break
            case Z_BUF_ERROR where endOfFile && z.pointee.avail_in == 0:
                throw InputError(file: displayName, reason: "the gzip data ends early: the file was cut off (a transfer not finished?)")
            case Z_BUF_ERROR:
                break
            default:
                throw InputError(file: displayName, reason: "the gzip data is damaged (\(z.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"))")
            }
            if produced > 0 { return produced }
        }
        return 0
    }

    /// Reads the next compressed bytes after a member's end; false at the end of the file.
    private func peekMore(_ z: UnsafeMutablePointer<z_stream>) -> Bool {
        let n = POSIX.read(fd, compressed, compressedCapacity)
        guard n > 0 else { endOfFile = true; return false }
        z.pointee.next_in = compressed
        z.pointee.avail_in = UInt32(n)
        return true
    }
}

/// Not `Sendable`: a file descriptor and zlib stream read in order.
@available(*, unavailable)
extension InputFile: Sendable {}
