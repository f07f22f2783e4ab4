@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

@Suite("CSV reader on libcsv")
struct CSVReaderTests {
    @Test func quotedFieldsWithDelimitersQuotesAndNewlines() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("q.csv", "id,note,n\n1,\"a, b\",2\n2,\"say \"\"hi\"\"\",3\n3,\"line one\nline two\",4\n4,plain,5\n")
        let rows = try readAll(file)
        #expect(rows.map(\.fields) == [["id", "note", "n"], ["1", "a, b", "2"], ["2", "say \"hi\"", "3"], ["3", "line one\nline two", "4"], ["4", "plain", "5"]])
        // The record after a two-line field starts on line 6, not 5.
        #expect(rows.map(\.line) == [1, 2, 3, 4, 6])
    }

    @Test func crlfLineEndingsAndBlankLines() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("crlf.csv", "a,b\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n")
        let rows = try readAll(file)
        #expect(rows.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "x\r\ny"]])
        #expect(rows.map(\.line) == [1, 2, 4])
    }

    @Test func utf8ByteOrderMarkIsStripped() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("bom.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("id,name\n1,Zoë\n".utf8))
        let rows = try readAll(file)
        #expect(rows[0].fields == ["id", "name"])
        #expect(rows[1].fields == ["1", "Zoë"])
    }

    @Test(arguments: [(";", UInt8(ascii: ";")), ("\t", 0x09), ("|", UInt8(ascii: "|")), (",", UInt8(ascii: ","))])
    func delimitersAreSniffed(text: String, byte: UInt8) throws {
        let dir = TemporaryDirectory()
        let file = dir.write("d.csv", "a\(text)b\(text)c\n1\(text)\"2\(text)x\"\(text)3\n")
        let reader = CSVReader(path: file)
        var rows: [[String]] = []
        try reader.forEachRecord { r in rows.append((0..<r.count).map { r.string($0)! }) }
        #expect(reader.delimiter == byte)
        #expect(rows == [["a", "b", "c"], ["1", "2\(text)x", "3"]])
    }

    @Test func configuredDelimiterWinsOverSniffing() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("c.csv", "a;b,c\n1;2,3\n")
        let rows = try readAll(file, options: .init(delimiter: UInt8(ascii: ";")))
        #expect(rows.map(\.fields) == [["a", "b,c"], ["1", "2,3"]])
    }

    @Test func tabDelimitedKeepsEmptyFields() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("t.tsv", "a\tb\tc\n1\t\t3\n")
        #expect(try readAll(file).map(\.fields) == [["a", "b", "c"], ["1", "", "3"]])
    }

    @Test func lastRowWithoutNewline() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("n.csv", "a,b\n1,2\n3,4")
        #expect(try readAll(file).map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
    }

    @Test func recordSplitAcrossChunkBoundaries() throws {
        let dir = TemporaryDirectory()
        var text = "id,note\n"
        for i in 0..<200 { text += "\(i),\"quoted, with a\nnewline \(i)\"\n" }
        let file = dir.write("chunks.csv", text)
        // A 7-byte chunk splits nearly every field and record.
        let rows = try readAll(file, options: .init(chunkSize: 7))
        #expect(rows.count == 201)
        #expect(rows[150].fields == ["149", "quoted, with a\nnewline 149"])
        #expect(rows[150].line == 2 + 149 * 2)
        #expect(rows.map(\.fields) == (try readAll(file)).map(\.fields))
    }

    @Test func unterminatedQuoteNamesTheLineWhereItOpened() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("u.csv", "a,b\n1,2\n3,\"never closed\n4,5\n")
        #expect {
            try readAll(file)
        } throws: { error in
            let e = error as! InputError
            return e.file == "u.csv" && e.position == 3 && e.reason.contains("unterminated quote")
        }
    }

    @Test func strayQuoteInStrictModeNamesLineAndField() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("s.csv", "a,b,c\n1,2,3\n4,5 \"inches\",6\n")
        #expect {
            try readAll(file)
        } throws: { error in
            let e = error as! InputError
            return e.position == 3 && e.field == "#2" && e.reason.contains("stray quote")
        }
        // Without strict mode the quote is kept as data.
        let rows = try readAll(file, options: .init(strictQuotes: false))
        #expect(rows[2].fields == ["4", "5 \"inches\"", "6"])
    }

    @Test func emptyAndBinaryFilesAreRefused() throws {
        let dir = TemporaryDirectory()
        let empty = dir.write("empty.csv", "")
        #expect(throws: InputError(file: "empty.csv", reason: "the file is empty")) { try readAll(empty) }
        let binary = dir.write("image.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D])
        #expect { try readAll(binary) } throws: { ($0 as! InputError).reason.contains("binary file") }
    }

    @Test func fieldsAreBytesAndInvalidUTF8IsReportedByTheCaller() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("bad.csv", bytes: Array("a,b\n1,".utf8) + [0xFF, 0xFE, 0x41] + [0x0A])
        var seen: [[UInt8]] = []
        try CSVReader(path: file).forEachRecord { r in seen.append(Array(r[1])) }
        #expect(seen[1] == [0xFF, 0xFE, 0x41])
        #expect(try readAll(file)[1].fields[1] == "<invalid>")
    }

    @Test func utf16LittleEndianWithBOM() throws {
        let dir = TemporaryDirectory()
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in "id,name\r\n1,Łukasz 😀\r\n".utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let file = dir.write("u16.csv", bytes: bytes)
        // Odd chunk sizes split code units and the surrogate pair.
        let rows = try readAll(file, options: .init(chunkSize: 5))
        #expect(rows.map(\.fields) == [["id", "name"], ["1", "Łukasz 😀"]])
    }

    @Test func utf16BigEndianWithBOM() throws {
        let dir = TemporaryDirectory()
        var bytes: [UInt8] = [0xFE, 0xFF]
        for unit in "a;b\n1;é\n".utf16 { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        let file = dir.write("u16be.csv", bytes: bytes)
        #expect(try readAll(file).map(\.fields) == [["a", "b"], ["1", "é"]])
    }

    @Test func windows1252Declared() throws {
        let dir = TemporaryDirectory()
        // "Café – €5" in Windows-1252: é = E9, – = 96, € = 80.
        let file = dir.write("w.csv", bytes: Array("a,b\n1,Caf".utf8) + [0xE9, 0x20, 0x96, 0x20, 0x80] + Array("5\n".utf8))
        let rows = try readAll(file, options: .init(encoding: .windows1252))
        #expect(rows[1].fields == ["1", "Café – €5"])
    }

    @Test func memoryIsBoundedByTheLongestRecordNotTheFile() throws {
        let dir = TemporaryDirectory()
        var text = "id,channel,note\n"
        for i in 0..<20_000 { text += "\(i),voice,\"a note, with a comma\"\n" }
        let small = dir.write("small.csv", text)
        for i in 20_000..<200_000 { text += "\(i),voice,\"a note, with a comma\"\n" }
        let large = dir.write("large.csv", text)
        func retained(_ path: String) throws -> Int {
            let reader = CSVReader(path: path)
            var count = 0
            try reader.forEachRecord { _ in count += 1 }
            return reader.retainedCapacity
        }
        let smallCapacity = try retained(small)
        let largeCapacity = try retained(large)
        // Ten times the rows, the same buffer: the arena only ever holds one record.
        #expect(largeCapacity == smallCapacity)
        #expect(largeCapacity < 64 * 1024)
    }
}
