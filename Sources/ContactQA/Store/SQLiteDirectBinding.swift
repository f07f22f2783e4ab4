import GRDB
import GRDBSQLite

// The direct SQLite C calls of the store live in this file: the import's hot statements bind their
// values straight onto GRDB's prepared statement, skipping `StatementArguments` (measured: its
// generic conversions cost about a third of a million-row load).

/// SQLite copies text bound with this destructor, so Swift's buffer may go away after the call.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension Database {
    /// Binds `values` to the statement's parameters 1…n and runs it to completion.
    func run(_ statement: Statement, _ values: [DatabaseValue]) throws {
        try run(statement) { binder in
            for value in values { binder.bind(value) }
        }
    }

    /// Binds what `fill` hands the binder to parameters 1…n, in order, and runs the statement to
    /// completion: the import's inserts bind a row's values as they are, without an array of them.
    func run(_ statement: Statement, _ fill: (inout ParameterBinder) -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        var binder = ParameterBinder(handle: handle)
        fill(&binder)
        guard binder.code == SQLITE_OK else { throw failure(binder.code, statement) }
        let step = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard step == SQLITE_DONE || step == SQLITE_ROW else { throw failure(step, statement) }
    }

    /// Binds `arguments` to the statement's parameters and hands each result row to `body` as field
    /// values, read straight from SQLite: the same values GRDB's `Row` gives (text up to its first NUL,
    /// as `String(cString:)` reads it; a blob's bytes as UTF-8), without a `Row` and a `DatabaseValue`
    /// per value (reading a sample's frame through them took longer than SQLite's own work).
    func forEachRow(_ statement: Statement, _ arguments: [FieldValue], _ body: ([FieldValue]) throws -> Void) throws {
        let handle = statement.sqliteStatement
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.count == expected else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "wrong number of statement arguments: \(arguments.count) for \(expected)",
                                sql: statement.sql)
        }
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        var binder = ParameterBinder(handle: handle)
        binder.bind(arguments)
        guard binder.code == SQLITE_OK else { throw failure(binder.code, statement) }
        let columns = sqlite3_column_count(handle)
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code, statement) }
            var values: [FieldValue] = []
            values.reserveCapacity(Int(columns))
            for column in 0..<columns {
                switch sqlite3_column_type(handle, column) {
                case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(handle, column)))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(handle, column)))
                case SQLITE_TEXT: values.append(.text(String(cString: sqlite3_column_text(handle, column))))
                case SQLITE_BLOB:
                    let bytes = UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, column), count: Int(sqlite3_column_bytes(handle, column)))
                    values.append(.text(String(decoding: bytes, as: UTF8.self)))
                default: values.append(.null)
                }
            }
            try body(values)
        }
    }

    private func failure(_ code: Int32, _ statement: Statement) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: statement.sql)
    }
}

/// Binds values to a prepared statement's parameters in order; the first failure is kept in `code`.
struct ParameterBinder {
    fileprivate let handle: OpaquePointer?
    private var index: Int32 = 0
    fileprivate private(set) var code = SQLITE_OK

    fileprivate init(handle: OpaquePointer?) { self.handle = handle }

    private mutating func record(_ result: Int32) {
        if code == SQLITE_OK { code = result }
    }

    mutating func bind(_ value: FieldValue) {
        index += 1
        switch value {
        case .null: record(sqlite3_bind_null(handle, index))
        case .integer(let n): record(sqlite3_bind_int64(handle, index, n))
        case .real(let d): record(sqlite3_bind_double(handle, index, d))
        case .text(let s): bindText(s)
        }
    }

    mutating func bind(_ value: DatabaseValue) {
        index += 1
        switch value.storage {
        case .null: record(sqlite3_bind_null(handle, index))
        case .int64(let n): record(sqlite3_bind_int64(handle, index, n))
        case .double(let d): record(sqlite3_bind_double(handle, index, d))
        case .string(let s): bindText(s)
        case .blob(let data): record(data.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) })
        }
    }

    mutating func bind(_ text: String) {
        index += 1
        bindText(text)
    }

    /// Binds text from the string's own UTF-8 bytes. (Handing a `String` to the C call as a `char *`
    /// made a heap copy of every short string, which Swift keeps inline: a dozen allocations a row.)
    /// The text ends at its first NUL byte, as it did through the C string.
    private mutating func bindText(_ text: String) {
        var text = text
        let handle = handle, index = index
        record(text.withUTF8 { utf8 in
            let length = utf8.firstIndex(of: 0) ?? utf8.count
            // An empty text stays text: a null pointer would bind NULL.
            guard length > 0, let base = utf8.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, transient) }
            return base.withMemoryRebound(to: CChar.self, capacity: length) { sqlite3_bind_text(handle, index, $0, Int32(length), transient) }
        })
    }

    mutating func bind(_ number: Int64) {
        index += 1
        record(sqlite3_bind_int64(handle, index, number))
    }

    mutating func bind(_ values: [FieldValue]) {
        for value in values { bind(value) }
    }
}

extension Database {
    /// Runs `sql` with `arguments` and hands each result row to `body` as it is stepped, its columns
    /// read straight from SQLite (no `Row` or `DatabaseValue` per value): the reports' row scans that
    /// add up a million contacts in Swift.
    func step(_ sql: String, _ arguments: [Int64], _ body: (StepRow) throws -> Void) throws {
        let statement = try makeStatement(sql: sql)
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        for (i, value) in arguments.enumerated() {
            let code = sqlite3_bind_int64(handle, Int32(i + 1), value)
            guard code == SQLITE_OK else { throw failure(code, statement) }
        }
        let row = StepRow(handle: handle)
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code, statement) }
            try body(row)
        }
    }
}

/// The current row of a statement `Database.step` runs; valid only inside its `body`.
struct StepRow {
    fileprivate let handle: OpaquePointer?

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// SQLite's integer value of the column (0 for NULL).
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// SQLite's double value of the column (an integer converted as `sqlite3_value_double` does; 0 for NULL).
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// The column as a grouping key's part: NULL, an integer, or the bytes of a text. The stores' key
    /// expressions are integer arithmetic or text columns; a REAL would be taken as its integer part.
    func appendKey(_ column: Int32, to key: inout [UInt8]) {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL:
            key.append(0)
        case SQLITE_INTEGER, SQLITE_FLOAT:
            key.append(1)
            withUnsafeBytes(of: sqlite3_column_int64(handle, column).bigEndian) { key.append(contentsOf: $0) }
        default:
            let text = sqlite3_column_text(handle, column)
            let count = Int(sqlite3_column_bytes(handle, column))
            key.append(2)
            withUnsafeBytes(of: UInt32(count).bigEndian) { key.append(contentsOf: $0) }
            if let text, count > 0 { key.append(contentsOf: UnsafeRawBufferPointer(start: text, count: count)) }
        }
    }
}

extension StepRow {
    /// The column's text bytes (empty for NULL), valid only inside `body`.
    func withText<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let text = sqlite3_column_text(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return body(UnsafeRawBufferPointer(start: text, count: text == nil ? 0 : count))
    }
}
