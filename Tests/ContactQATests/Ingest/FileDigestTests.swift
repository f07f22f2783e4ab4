@testable import ContactQA
import ContactQATesting
import Crypto
import Foundation
import Testing

/// A run asks for a file's SHA-256 several times before loading it; the digest is remembered, but
/// never once the file has changed.
@Suite("File digests")
struct FileDigestTests {
    static func expected(_ text: String) -> String { hexString(SHA256.hash(data: Data(text.utf8))) }

    @Test func aChangedFileGetsItsNewDigest() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/export.csv"
        try "interaction_id\nA1\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(IngestService.sha256(of: path) == FileDigestTests.expected("interaction_id\nA1\n"))
        #expect(IngestService.sha256(of: path) == FileDigestTests.expected("interaction_id\nA1\n"))
        // Rewritten in place, same size and inode: the modification time tells.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: Data("interaction_id\nB2\n".utf8))
        try handle.close()
        #expect(IngestService.sha256(of: path) == FileDigestTests.expected("interaction_id\nB2\n"))
        // Replaced by another file, same size and modification time: the inode tells.
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        try "interaction_id\nC3\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: modified as Any], ofItemAtPath: path)
        #expect(IngestService.sha256(of: path) == FileDigestTests.expected("interaction_id\nC3\n"))
        try FileManager.default.removeItem(atPath: path)
        #expect(IngestService.sha256(of: path) == nil)
    }
}
