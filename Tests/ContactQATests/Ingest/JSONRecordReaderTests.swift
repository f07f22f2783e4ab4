@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

@Suite("JSON record reader")
struct JSONRecordReaderTests {
    func records(_ text: String, wrapper: String? = nil, maxBytes: Int = JSONRecordReader.defaultMaxRecordBytes) throws -> [(Int, Int, String)] {
        let dir = TemporaryDirectory()
        let file = dir.write("r.json", text)
        var out: [(Int, Int, String)] = []
        try JSONRecordReader(path: file, wrapperKey: wrapper, maxRecordBytes: maxBytes).forEachRecord { r in
            out.append((r.number, r.line, String(decoding: r.bytes, as: UTF8.self)))
        }
        return out
    }

    @Test func layouts() throws {
        #expect(try records("{\"a\":1}\n{\"a\":2}\n").map(\.2) == ["{\"a\":1}", "{\"a\":2}"])  // JSON Lines
        #expect(try records("{\"a\":1}{\"a\":\"}{\"}\n{\"a\":3}").map(\.2) == ["{\"a\":1}", "{\"a\":\"}{\"}", "{\"a\":3}"])  // concatenated, braces in strings
        #expect(try records("[\n {\"a\":[1,2]},\n {\"b\":{\"c\":\"]\"}}\n]").map(\.2) == ["{\"a\":[1,2]}", "{\"b\":{\"c\":\"]\"}}"])  // array
        let wrapped = try records("{\"totalHits\": 2, \"conversations\": [{\"id\":\"x\"}, {\"id\":\"y\\\"z\"}], \"cursor\": \"abc\"}", wrapper: "conversations")
        #expect(wrapped.map(\.2) == ["{\"id\":\"x\"}", "{\"id\":\"y\\\"z\"}"])
        // With a wrapper key the reader still accepts a plain stream of records.
        #expect(try records("{\"id\":1}\n{\"id\":2}\n", wrapper: "tickets").map(\.2) == ["{\"id\":1}", "{\"id\":2}"])
        #expect(try records("{\"a\":1}\n\n{\"a\":2}").map { [$0.0, $0.1] } == [[1, 1], [2, 3]])
    }

    @Test func badFilesSayWhere() throws {
        // Records spread over lines: a cut is a truncated file. One record per line (JSON Lines): a cut line is one bad record.
        #expect { try records("{\n\"a\":1}\n{\"a\":") } throws: { ($0 as! InputError).reason == "the file ends inside record 2 (truncated JSON)" }
        #expect(try records("{\"a\":1}\n{\"a\":").map { [String($0.0), String($0.1), $0.2] } == [["1", "1", "{\"a\":1}"], ["2", "2", "{\"a\":"]])
        #expect { try records("") } throws: { ($0 as! InputError).reason == "the file is empty" }
        #expect { try records("id,name\n1,x\n") } throws: { ($0 as! InputError).reason.hasPrefix("this is not JSON") }
        #expect { try records("{\n\"a\":1} garbage") } throws: { ($0 as! InputError).reason.contains("between records") }
        #expect(try records("{\"a\":1}\ngarbage\n{\"a\":2}").map(\.2) == ["{\"a\":1}", "garbage", "{\"a\":2}"])
        #expect { try records("[{\"a\":\"\(String(repeating: "x", count: 70_000))\"}]", maxBytes: 1_024) } throws: {
            ($0 as! InputError).reason.hasPrefix("record 1 starting at line 1 is larger than")
        }
    }

    @Test func aLargeArrayIsReadOneRecordAtATime() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/big.json"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data("[".utf8))
        for i in 0..<50_000 { try handle.write(contentsOf: Data("\(i == 0 ? "" : ","){\"ContactId\":\"c\(i)\",\"pad\":\"\(String(repeating: "p", count: 200))\"}".utf8)) }
        try handle.write(contentsOf: Data("]".utf8))
        try handle.close()
        var count = 0
        var largest = 0
        try JSONRecordReader(path: path, maxRecordBytes: 4_096).forEachRecord { r in
            count += 1
            largest = max(largest, r.bytes.count)
        }
        // An 11 MB single-line array, read with a 4 KiB record limit: records are extracted one by one.
        #expect(count == 50_000)
        #expect(largest < 300)
    }
}
