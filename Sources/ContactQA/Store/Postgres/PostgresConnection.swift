private import CLibPQ
import Foundation

/// An error from PostgreSQL or from reaching it, with the server's SQLSTATE when there is one.
package struct PostgresError: Error, CustomStringConvertible, Sendable {
    package var message: String
    var sqlState: String?
    /// The statement that failed (for the log and for whoever debugs it; messages to users leave it out).
    var statement: String?
    /// A mistake of configuration (exit 2) rather than a failure (exit 1): a password in the URL,
    /// a database that holds no store yet or one of a newer schema.
    package var isConfiguration = false
    package var description: String { message }
}

/// One libpq connection, used from one thread at a time (the store's).
///
/// libpq is PostgreSQL's own client library: it reads the password from `PGPASSWORD` or a pgpass
/// file (`PGPASSFILE`, else `~/.pgpass`), and takes `postgres://user@host:port/db` URLs as they are.
/// Parameters and results travel as text; the store converts.
package final class PostgresConnection {
    private let connection: OpaquePointer
    /// The URL without any password, for messages.
    let displayURL: String
    private var prepared: [String: String] = [:]
    private var cursors = 0

    /// - Throws: `PostgresError` naming the server when it is unreachable or refuses the login.
    package init(url: String) throws {
        displayURL = url
        if PostgresConnection.hasPassword(url) {
            throw PostgresError(message: "\(PostgresConnection.redacted(url)): a password in the store URL would show in process lists and shell history; "
                                + "give it in PGPASSWORD or a pgpass file (PGPASSFILE, else ~/.pgpass) instead", isConfiguration: true)
        }
        guard let made = PQconnectdb(url) else { throw PostgresError(message: "\(url): libpq could not allocate a connection") }
        connection = made
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
            // deinit runs for a class whose properties were all set, and finishes the connection.
            throw PostgresError(message: "cannot connect to \(url): \(reason)")
        }
        // Text travels as UTF-8 whatever the environment asks (PGCLIENTENCODING): site, team and agent
        // names carry accents, and another encoding would store them garbled for every other client.
        guard PQsetClientEncoding(connection, "UTF8") == 0 else {
            throw PostgresError(message: "\(url): the server cannot exchange text as UTF-8: \(String(cString: PQerrorMessage(connection)))")
        }
        _ = try execute("SET client_min_messages = warning")
    }

    deinit { PQfinish(connection) }

    /// Where this connection went and as whom, as libpq resolved it (host, port, database, user), and
    /// the password libpq used, from PGPASSWORD or a pgpass file (nil when none was needed).
    var endpoint: (host: String, port: String, database: String, user: String, password: String?) {
        let text = { (value: UnsafeMutablePointer<CChar>?) in value.map { String(cString: $0) } ?? "" }
        let password = text(PQpass(connection))
        return (text(PQhost(connection)), text(PQport(connection)), text(PQdb(connection)), text(PQuser(connection)),
                password.isEmpty ? nil : password)
    }

    /// Whether the URL's user-info part holds a password (`user:secret@`).
    static func hasPassword(_ url: String) -> Bool {
        guard let scheme = url.range(of: "://") else { return url.contains("password=") }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@") else { return url.contains("password=") }
        return authority[..<at].contains(":") || url.contains("password=")
    }

    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let user = url[scheme.upperBound..<at].prefix { $0 != ":" }
        return url[..<scheme.upperBound] + user + ":…" + url[at...]
    }

    package struct Result {
        package var rows: [[String?]]
        /// Each column's type OID (pg_type), for typed values.
        package var types: [UInt32] = []
        /// Rows an INSERT, UPDATE or DELETE touched.
        package var affected: Int
    }

    /// Runs one statement with text parameters ($1, $2, …).
    @discardableResult
    package func execute(_ sql: String, _ parameters: [String?] = []) throws -> Result {
        try withParameters(parameters, sql: sql) { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
    }

    /// Runs a statement prepared once per connection (by its text).
    @discardableResult
    func run(_ sql: String, _ parameters: [String?]) throws -> Result {
        let name: String
        if let known = prepared[sql] {
            name = known
        } else {
            name = "s\(prepared.count + 1)"
            let result = PQprepare(connection, name, sql, Int32(parameters.count), nil)
            _ = try check(result, sql: sql)
            prepared[sql] = name
        }
        return try withParameters(parameters, sql: sql) { values in
            PQexecPrepared(connection, name, Int32(parameters.count), values, nil, nil, 0)
        }
    }

    /// A name for a new server-side cursor, unique on this connection.
    func newCursorName() -> String {
        cursors += 1
        return "contactqa_cursor_\(cursors)"
    }

    /// Runs several statements (no parameters) in one round trip.
    func script(_ sql: String) throws {
        _ = try check(PQexec(connection, sql), sql: sql)
    }

    /// Runs one statement and hands its rows to `body` one at a time, as they arrive (libpq's
    /// single-row mode): a large result is never held whole in memory. `body` gets each row's text
    /// values and the columns' type OIDs.
    func stream(_ sql: String, _ parameters: [String?], _ body: ([String?], [UInt32]) throws -> Void) throws {
        let sent = withCStrings(parameters) { values in PQsendQueryParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0) }
        guard sent == 1 else { throw PostgresError(message: "\(displayURL): \(lastError)", statement: sql) }
        PQsetSingleRowMode(connection)
        var failure: (any Error)?
        var types: [UInt32] = []
        // Every result is read, even after a failure: the connection takes no new statement before.
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            guard failure == nil else { continue }
            switch PQresultStatus(result) {
            case PGRES_SINGLE_TUPLE:
                let columns = Int(PQnfields(result))
                if types.isEmpty { types = (0..<columns).map { PQftype(result, Int32($0)) } }
                let row = (0..<columns).map { c in PQgetisnull(result, 0, Int32(c)) == 1 ? nil : String(cString: PQgetvalue(result, 0, Int32(c))) }
                do { try body(row, types) } catch { failure = error }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                break
            default:
                failure = self.failure(result, sql: sql)
            }
        }
        if let failure { throw failure }
    }

    /// Sends rows to a `COPY … FROM STDIN` statement in PostgreSQL's text format: columns separated by
    /// tabs, NULL as `\N`, and backslash, tab, newline and carriage return escaped. The server parses
    /// each value as its column's type, as it would a text parameter cast to it.
    func copy(_ sql: String, rows: [[String?]]) throws {
        guard let started = PQexec(connection, sql) else { throw PostgresError(message: "\(displayURL): \(lastError)", statement: sql) }
        guard PQresultStatus(started) == PGRES_COPY_IN else {
            _ = try check(started, sql: sql)
            throw PostgresError(message: "\(displayURL): the server did not start the copy", statement: sql)
        }
        PQclear(started)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 17)
        var sendFailed = false
        func send() {
            guard !buffer.isEmpty, !sendFailed else { return }
            sendFailed = buffer.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) } != 1
            }
            buffer.removeAll(keepingCapacity: true)
        }
        for row in rows {
            for (index, value) in row.enumerated() {
                if index > 0 { buffer.append(0x09) }
                guard let value else {
                    buffer += [0x5C, 0x4E]  // \N
                    continue
                }
                for byte in value.utf8 {
                    switch byte {
                    case 0x5C: buffer += [0x5C, 0x5C]
                    case 0x09: buffer += [0x5C, 0x74]
                    case 0x0A: buffer += [0x5C, 0x6E]
                    case 0x0D: buffer += [0x5C, 0x72]
                    default: buffer.append(byte)
                    }
                }
            }
            buffer.append(0x0A)
            if buffer.count >= 1 << 16 { send() }
        }
        send()
        let ended = PQputCopyEnd(connection, sendFailed ? "the client could not send the rows" : nil) == 1
        // Every result is read: the connection takes no new statement before.
        var failure: (any Error)?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            if failure == nil, PQresultStatus(result) != PGRES_COMMAND_OK { failure = self.failure(result, sql: sql) }
        }
        if let failure { throw failure }
        if !ended || sendFailed { throw PostgresError(message: "\(displayURL): \(lastError)", statement: sql) }
    }

    private func withParameters(_ parameters: [String?], sql: String, _ body: ([UnsafePointer<CChar>?]) -> OpaquePointer?) throws -> Result {
        try check(withCStrings(parameters, body), sql: sql)
    }

    private func withCStrings<T>(_ parameters: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        let owned: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } }
        defer { for pointer in owned { free(pointer) } }
        return body(owned.map { UnsafePointer($0) })
    }

    private var lastError: String { String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines) }

    private func check(_ result: OpaquePointer?, sql: String?) throws -> Result {
        guard let result else { throw PostgresError(message: "\(displayURL): \(lastError)", statement: sql) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            let rowCount = Int(PQntuples(result))
            let columnCount = Int(PQnfields(result))
            var rows: [[String?]] = []
            rows.reserveCapacity(rowCount)
            for r in 0..<rowCount {
                var row: [String?] = []
                row.reserveCapacity(columnCount)
                for c in 0..<columnCount {
                    row.append(PQgetisnull(result, Int32(r), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
                rows.append(row)
            }
            return Result(rows: rows, types: (0..<columnCount).map { PQftype(result, Int32($0)) },
                          affected: Int(String(cString: PQcmdTuples(result))) ?? 0)
        default:
            throw failure(result, sql: sql)
        }
    }

    /// The server's error of a failed result, with its SQLSTATE.
    private func failure(_ result: OpaquePointer, sql: String?) -> PostgresError {
        let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let lost = PQstatus(connection) != CONNECTION_OK
        return PostgresError(message: lost ? "\(displayURL): the connection to the server was lost: \(message)" : message, sqlState: state, statement: sql)
    }
}

/// Not `Sendable`: libpq connections are not thread-safe.
@available(*, unavailable)
extension PostgresConnection: Sendable {}
