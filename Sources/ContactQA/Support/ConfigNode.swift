import Foundation
import Yams

/// A mistake in a configuration file (mapping, pipeline, plan), located by file, line and key path.
package struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    package var file: String
    package var line: Int?
    package var path: String
    package var reason: String

    package var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if !path.isEmpty { text += ": \(path)" }
        return text + ": " + reason
    }
}

/// Several configuration mistakes found in one pass, reported together (one per line).
package struct ConfigProblems: Error, Sendable, CustomStringConvertible {
    var problems: [ConfigError]

    package init(_ problems: [ConfigError]) { self.problems = problems }

    package var description: String {
        problems.count == 1 ? problems[0].description
            : "\(problems.count) problems:\n" + problems.map { "  " + $0.description }.joined(separator: "\n")
    }
}

/// A YAML node that knows where it came from, so every complaint about it names file, line and key.
struct ConfigNode {
    let node: Node
    let file: String
    let path: String

    /// Loads a YAML file; an empty file is an empty mapping.
    static func load(file: String) throws -> ConfigNode {
        let name = (file as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(file: file, line: nil, path: "", reason: "cannot read the file (does it exist?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: name, line: nil, path: "", reason: "the file is not UTF-8 text")
        }
        return try parse(text, file: name)
    }

    static func parse(_ text: String, file: String) throws -> ConfigNode {
        if let line = complexKeyLine(text) {
            throw ConfigError(file: file, line: line, path: "",
                              reason: "a list or mapping used as a key (YAML's complex keys) is not accepted in a configuration file; keys are plain names")
        }
        do {
            let node = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
            return ConfigNode(node: node, file: file, path: "")
        } catch let error as YamlError {
            throw ConfigError(file: file, line: nil, path: "", reason: "not valid YAML: \(error)")
        }
    }

    /// The line of the first complex key — an explicit `?` key, or a `[…]` or `{…}` collection used as
    /// a key — outside quotes and comments. No configuration needs one, and YAML's check of duplicate
    /// complex keys compares whole trees (a 3 KB file of them kept the parser busy for over 20 s).
    static func complexKeyLine(_ text: String) -> Int? {
        var line = 1
        var quote: UInt8?
        var atLineStart = true
        var previous: UInt8 = 0x0A
        var lastNonSpace: UInt8 = 0x0A
        var afterCollection = false
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            defer { i += 1 }
            if c == 0x0A { line += 1; atLineStart = true; afterCollection = false; previous = c; lastNonSpace = c; continue }
            if let q = quote {
                if c == q { quote = nil }
                previous = c
                continue
            }
            let next = i + 1 < bytes.count ? bytes[i + 1] : 0x0A
            let separates = next == 0x20 || next == 0x09 || next == 0x0A || next == 0x0D
            switch c {
            case 0x22, 0x27:  // " '
                if previous == 0x20 || previous == 0x09 || previous == 0x0A || previous == 0x3A || previous == 0x2C || previous == 0x5B || previous == 0x7B
                    || previous == 0x2D { quote = c }
            case 0x23 where previous == 0x20 || previous == 0x09 || previous == 0x0A:  // # starts a comment
                while i + 1 < bytes.count, bytes[i + 1] != 0x0A { i += 1 }
            case 0x3F where separates && (atLineStart || lastNonSpace == 0x7B || lastNonSpace == 0x2C || lastNonSpace == 0x5B):  // ? as a key indicator
                return line
            case 0x5D, 0x7D:  // ] }
                afterCollection = true
                previous = c
                lastNonSpace = c
                continue
            case 0x3A where afterCollection && (separates || next == 0x2C || next == 0x7D || next == 0x5D):  // ]: or }:
                return line
            case 0x20, 0x09:
                previous = c
                continue
            case 0x2D where atLineStart && separates:  // "- " keeps the line start
                previous = 0x0A
                continue
            default:
                break
            }
            if c != 0x20 && c != 0x09 { atLineStart = false }
            afterCollection = false
            previous = c
            lastNonSpace = c
        }
        return nil
    }

    var line: Int? { node.mark?.line }

    func error(_ reason: String) -> ConfigError {
        ConfigError(file: file, line: line, path: path, reason: reason)
    }

    private func child(_ node: Node, _ key: String) -> ConfigNode {
        ConfigNode(node: node, file: file, path: path.isEmpty ? key : "\(path).\(key)")
    }

    var isMapping: Bool { if case .mapping = node { true } else { false } }
    var isNull: Bool {
        if case .scalar(let s) = node { (s.string == "" && s.style == .plain) || s.string == "~" || s.string == "null" } else { false }
    }

    /// The entries of a mapping, in file order, refusing keys outside `allowed` (with a suggestion).
    func entries(allowed: [String]? = nil) throws -> [(key: String, value: ConfigNode)] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping of keys to values") }
        var result: [(String, ConfigNode)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw error("a key must be text") }
            if let allowed, !allowed.contains(key) {
                let hint = closest(key, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw ConfigError(file: file, line: keyNode.mark?.line, path: path,
                                  reason: "unknown key \"\(key)\"\(hint); allowed: \(allowed.joined(separator: ", "))")
            }
            result.append((key, child(value, key)))
        }
        return result
    }

    /// The mapping as a dictionary (keys checked against `allowed`); a key set to null (`~`) is absent.
    func dictionary(allowed: [String]?) throws -> [String: ConfigNode] {
        Dictionary(try entries(allowed: allowed).filter { !$0.value.isNull }, uniquingKeysWith: { _, last in last })
    }

    func list() throws -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error("expected a list") }
        return sequence.enumerated().map { child($1, "[\($0)]") }
    }

    func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a single value") }
        return scalar.string
    }

    func int() throws -> Int {
        guard let value = Int(try string()) else { throw error("expected a whole number, found \"\(try string())\"") }
        return value
    }

    func double() throws -> Double {
        guard let value = Double(try string()) else { throw error("expected a number, found \"\(try string())\"") }
        return value
    }

    func bool() throws -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, found \"\(try string())\"")
        }
    }

    func stringList() throws -> [String] {
        if case .scalar = node { return [try string()] }
        return try list().map { try $0.string() }
    }
}

/// The allowed word nearest to a misspelt one, if it is near enough to be a typo.
func closest(_ word: String, in candidates: [String]) -> String? {
    var best: (String, Int)?
    for candidate in candidates {
        let d = editDistance(Array(word.lowercased()), Array(candidate.lowercased()))
        if d <= max(2, candidate.count / 3), d < (best?.1 ?? .max) { best = (candidate, d) }
    }
    return best?.0
}

private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}

/// A file-system error as a person reads it: "PATH: reason" rather than an NSError dump.
package func describeFileError(_ error: any Error) -> String {
    let ns = error as NSError
    let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
    var reason: String
    if let underlying = ns.userInfo[NSUnderlyingErrorKey].flatMap({ $0 as? any Error }).map({ $0 as NSError }),
       underlying.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(underlying.code)))
    } else if ns.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(ns.code)))
    } else if let description = ns.userInfo[NSLocalizedDescriptionKey] as? String {
        reason = description
    } else {
        reason = "\(error)"
    }
    return path.map { "\($0): \(reason)" } ?? reason
}
