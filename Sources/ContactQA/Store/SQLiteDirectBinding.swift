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
