import Foundation

/// `report.mail`: a week's final report (and each revision of it) sent to management through the
/// machine's sendmail interface — postfix, exim, msmtp or any program that reads a message on standard
/// input with `-t` (recipients from its headers).
///
/// The message is what management may see: report.md and report.html as the body (a plain-text and an
/// HTML alternative), the top-level CSV and JSON files of the week's folder attached. The sample and the
/// feedback packs, which name colleagues and the contacts they handled, are never mailed.
struct ReportMail: Sendable, Equatable {
    package var to: [String]
    package var from: String
    /// `{week}` becomes the ISO week, `{status}` "final" or "final, revised".
    var subject = "Weekly quality report {week} ({status})"
    /// The command and its arguments; the message goes to its standard input.
    var sendmail = ["/usr/sbin/sendmail", "-t", "-oi"]

    package init(to: [String], from: String) {
        self.to = to
        self.from = from
    }

    /// A failure to hand the message over, with what the sendmail program said.
    struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// The message for the week's folder.
    /// - Parameters:
    ///   - date: the `Date:` header (RFC 5322 form).
    ///   - boundary: a MIME boundary that occurs in none of the parts (their base64 text cannot hold it).
    package func message(folder: String, week: ISOWeek, status: String, date: String, boundary: String = "contactqa-part") throws -> Data {
        let fm = FileManager.default
        var text = ""
        func header(_ name: String, _ value: String) { text += "\(name): \(value)\r\n" }
        header("From", from)
        header("To", to.joined(separator: ", "))
        header("Subject", ReportMail.encodedWord(subject.replacingOccurrences(of: "{week}", with: week.description)
                                                    .replacingOccurrences(of: "{status}", with: status)))
        header("Date", date)
        header("MIME-Version", "1.0")
        header("Content-Type", "multipart/mixed; boundary=\"\(boundary)-mixed\"")
        text += "\r\n"
        text += "--\(boundary)-mixed\r\nContent-Type: multipart/alternative; boundary=\"\(boundary)-alt\"\r\n\r\n"
        for (name, type) in [("report.md", "text/plain"), ("report.html", "text/html")] {
            guard let data = fm.contents(atPath: folder + "/" + name) else { continue }
            text += "--\(boundary)-alt\r\nContent-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            text += ReportMail.base64Lines(data)
        }
        text += "--\(boundary)-alt--\r\n"
        let attachments = try fm.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".csv") || $0.hasSuffix(".json") }.sorted()
        for name in attachments {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = fm.contents(atPath: folder + "/" + name) else { continue }
            let type = name.hasSuffix(".csv") ? "text/csv" : "application/json"
            text += "--\(boundary)-mixed\r\nContent-Type: \(type); charset=utf-8; name=\"\(name)\"\r\n"
            text += "Content-Disposition: attachment; filename=\"\(name)\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            text += ReportMail.base64Lines(data)
        }
        text += "--\(boundary)-mixed--\r\n"
        return Data(text.utf8)
    }

    /// Hands the message to the sendmail program.
    /// - Throws: `Failure` when it cannot be started or exits non-zero.
    func send(_ message: Data) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sendmail[0])
        process.arguments = Array(sendmail.dropFirst())
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do { try process.run() } catch {
            throw Failure(description: "cannot start \(sendmail[0]): \(describeFileError(error)) (report.mail.sendmail)")
        }
        input.fileHandleForWriting.write(message)
        try? input.fileHandleForWriting.close()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: said, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "\(sendmail.joined(separator: " ")) exited with \(process.terminationStatus)\(text.isEmpty ? "" : ": " + text)")
        }
    }

    /// Base64 in lines of 76 characters, each ended by CRLF (RFC 2045).
    static func base64Lines(_ data: Data) -> String {
        let encoded = data.base64EncodedString()
        var lines = ""
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines += encoded[index..<end] + "\r\n"
            index = end
        }
        return lines
    }

    /// A header value as an RFC 2047 encoded word when it is not plain ASCII.
    static func encodedWord(_ text: String) -> String {
        text.allSatisfy { $0.isASCII } ? text : "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    /// The `Date:` header form of an instant.
    static func headerDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
