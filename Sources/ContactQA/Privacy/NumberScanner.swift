import Foundation

/// Finds phone and card numbers in text by reading runs of digit groups the way people write
/// numbers, rather than by one regular expression over digits and separators.
///
/// Digit groups joined by one separator (space, `-`, `.`, `/`, parentheses) form a chain; a group
/// that is part of a time (`18:14`), a chain glued to letters (`CS-2026-…`, `INC0012345`, `v2.1`)
/// and a chain introduced as a reference ("order", "Ticket", "réf.", "Bestellnummer", "pedido",
/// "EAN") are never numbers of a person. Dates (`2026-11-24`, `24.11.2026`, `24/11/26`) and year
/// ranges (`2019-2024`) are cut out of a chain. What is left is read from its first group: the
/// longest run of groups that is a card (issuer range, length, Luhn) or a phone number (one of the
/// plans in `phoneShape`) is taken, with an extension after a phone number; a group that starts
/// neither is skipped.
struct NumberScanner {
    private let text: NSString
    private let units: [UInt16]
    private let countryCode: String?
    private var groups: [Group] = []

    private struct Group {
        var start: Int
        var end: Int
        var digits: String
        var time = false
    }

    init(text: NSString, taken: [Bool], countryCode: String?) {
        self.text = text
        self.countryCode = countryCode
        var units = [UInt16](repeating: 0, count: text.length)
        for i in 0..<text.length { units[i] = text.character(at: i) }
        self.units = units
        var i = 0
        while i < units.count {
            guard NumberScanner.isDigit(units[i]), !taken[i] else { i += 1; continue }
            var j = i
            while j < units.count, NumberScanner.isDigit(units[j]), !taken[j] { j += 1 }
            groups.append(Group(start: i, end: j, digits: String(utf16CodeUnits: Array(units[i..<j]), count: j - i)))
            i = j
        }
        for k in groups.indices {
            let g = groups[k]
            let hour = g.end + 1 < units.count && units[g.end] == 0x3A && NumberScanner.isDigit(units[g.end + 1])
            let minute = g.start >= 2 && units[g.start - 1] == 0x3A && NumberScanner.isDigit(units[g.start - 2])
            groups[k].time = hour || minute
        }
    }

    static func isDigit(_ c: UInt16) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isLetter(_ c: UInt16) -> Bool {
        guard let scalar = Unicode.Scalar(c) else { return false }
        return CharacterSet.letters.contains(scalar)
    }

    private func joiner(_ a: Group, _ b: Group) -> String {
        String(utf16CodeUnits: Array(units[a.end..<b.start]), count: b.start - a.end)
    }

    /// Separators that keep two digit groups in one written number.
    private static let joiners: Set<String> = [" ", "\u{00A0}", "-", ".", "/", " - ", " / ", "–", " – ", "(", " (", ")", ") ", ")-", ") -", ") (", "-("]

    func findings() -> [Redactor.Finding] {
        var chains: [[Int]] = []
        var current: [Int] = []
        for k in groups.indices {
            if groups[k].time { if !current.isEmpty { chains.append(current) }; current = []; continue }
            if let last = current.last, NumberScanner.joiners.contains(joiner(groups[last], groups[k])) {
                current.append(k)
            } else {
                if !current.isEmpty { chains.append(current) }
                current = [k]
            }
        }
        if !current.isEmpty { chains.append(current) }
        var found: [Redactor.Finding] = []
        for chain in chains {
            guard !gluedBefore(groups[chain[0]]), context(before: groups[chain[0]].start) != .reference else { continue }
            for segment in withoutDates(chain) { found += read(segment) }
        }
        return found
    }

    // MARK: Dates and ranges

    private func value(_ k: Int) -> Int { Int(groups[k].digits) ?? -1 }
    private func isYear(_ k: Int) -> Bool { groups[k].digits.count == 4 && (1900...2099).contains(value(k)) }
    private func isDay(_ k: Int) -> Bool { groups[k].digits.count <= 2 && (1...31).contains(value(k)) }
    private func isMonth(_ k: Int) -> Bool { groups[k].digits.count <= 2 && (1...12).contains(value(k)) }

    /// The chain cut into the segments left when its dates and year ranges are taken out.
    private func withoutDates(_ chain: [Int]) -> [[Int]] {
        var segments: [[Int]] = []
        var current: [Int] = []
        var p = 0
        while p < chain.count {
            let k = chain[p]
            var skip = 0
            if p + 2 < chain.count {
                let j1 = joiner(groups[k], groups[k + 1]), j2 = joiner(groups[k + 1], groups[k + 2])
                let dateJoiner = j1 == j2 && ["-", ".", "/"].contains(j1)
                let iso = isYear(k) && isMonth(k + 1) && isDay(k + 2)
                let dayFirst = (isDay(k) && isMonth(k + 1)) || (isMonth(k) && isDay(k + 1))
                let shortYear = groups[k + 2].digits.count == 2 && chain.count == 3
                if dateJoiner && (iso || (dayFirst && (isYear(k + 2) || shortYear))) { skip = 3 }
            }
            if skip == 0, p + 1 < chain.count, isYear(k), isYear(k + 1), value(k + 1) > value(k),
               ["-", "–", "/", " - ", " – "].contains(joiner(groups[k], groups[k + 1])) {
                skip = 2
            }
            if skip > 0 {
                if !current.isEmpty { segments.append(current) }
                current = []
                p += skip
            } else {
                current.append(k)
                p += 1
            }
        }
        if !current.isEmpty { segments.append(current) }
        return segments
    }

    // MARK: Reading a segment

    private func read(_ segment: [Int]) -> [Redactor.Finding] {
        var found: [Redactor.Finding] = []
        var p = 0
        while p < segment.count {
            var taken = 0
            for length in stride(from: segment.count - p, through: 1, by: -1) {
                let run = Array(segment[p..<(p + length)])
                if gluedAfter(groups[run.last!]) { continue }
                if isCard(run) {
                    found.append(.init(range: range(run), kind: .card)); taken = length; break
                }
                if isPhone(run) {
                    var r = range(run)
                    if let ext = extensionLength(after: NSMaxRange(r)) { r.length += ext }
                    found.append(.init(range: r, kind: .phone)); taken = length; break
                }
            }
            p += max(taken, 1)
        }
        return found
    }

    private func range(_ run: [Int]) -> NSRange {
        var start = groups[run[0]].start
        if start > 0, units[start - 1] == 0x2B { start -= 1 }  // +
        else if start > 0, units[start - 1] == 0x28 { start -= 1 }  // (
        var end = groups[run.last!].end
        if end < units.count, units[end] == 0x29, start < groups[run[0]].start, units[start] == 0x28 { end += 1 }
        return NSRange(location: start, length: end - start)
    }

    /// Letters or a reference sign right before the number: `CS-2026`, `INC0012`, `#4821`, `v2.1`, `€49`.
    private func gluedBefore(_ g: Group) -> Bool {
        let i = g.start - 1
        guard i >= 0 else { return false }
        let c = units[i]
        if NumberScanner.isLetter(c) || [0x23, 0x20AC, 0x24, 0xA3].contains(c) { return true }  // a letter, #, €, $, £
        if [0x2D, 0x5F, 0x2F].contains(c), i > 0 { return NumberScanner.isLetter(units[i - 1]) }  // CS-2026, ref_12, A/123
        return false
    }

    /// Letters, a per cent sign or a currency right after the number (`30min`, `12%`, `49€`); an
    /// extension written `x12` is not glued.
    private func gluedAfter(_ g: Group) -> Bool {
        let i = g.end
        guard i < units.count else { return false }
        if units[i] == 0x78, i + 1 < units.count, NumberScanner.isDigit(units[i + 1]) { return false }
        return NumberScanner.isLetter(units[i]) || [0x25, 0x20AC, 0x24, 0xA3].contains(units[i])
            || (units[i] == 0x20 && i + 1 < units.count && [0x20AC, 0x24, 0xA3].contains(units[i + 1]))
    }

    // MARK: Context words

    private enum Context { case reference, phone, card, amount, none }

    private static let referenceWords: Set<String> = [
        "ref", "reference", "référence", "reference", "referencia", "referenz", "réf", "order", "orders", "commande", "pedido", "bestellung",
        "bestellnummer", "auftrag", "auftragsnummer", "ticket", "tickets", "case", "dossier", "caso", "fall", "vorgang", "vorgangsnummer",
        "invoice", "facture", "factura", "rechnung", "rechnungsnummer", "tracking", "sendung", "sendungsnummer", "suivi", "seguimiento",
        "booking", "réservation", "reserva", "buchung", "ean", "gtin", "upc", "sku", "imei", "serial", "seriennummer", "série", "serie",
        "policy", "police", "póliza", "contract", "contrat", "vertrag", "contrato", "id", "incident", "incidencia", "parcel", "colis",
        "paquete", "paket", "transaction", "transaktion", "transacción", "version", "build", "release", "article", "artikel", "artículo",
        "kundennummer", "confirmation", "bestätigung", "expediente", "claim", "réclamation", "reclamación", "meter", "compteur", "zähler", "ip",
    ]
    private static let phoneWords: Set<String> = [
        "call", "called", "calling", "calls", "phone", "phoned", "tel", "telephone", "mobile", "cell", "ring", "rang", "dial", "dialled",
        "dialed", "fax", "whatsapp", "sms", "landline", "callback", "telefon", "telefonnummer", "handy", "handynummer", "rufnummer", "mobil",
        "mobilnummer", "festnetz", "anrufen", "angerufen", "rückruf", "téléphone", "tél", "portable", "appeler", "appelé", "rappeler",
        "joindre", "fixe", "teléfono", "telefono", "móvil", "movil", "llamar", "llamó", "llamada", "fijo",
    ]
    private static let cardWords: Set<String> = ["card", "visa", "mastercard", "amex", "karte", "kreditkarte", "carte", "cb", "tarjeta"]
    private static let amountWords: Set<String> = ["eur", "euro", "euros", "usd", "gbp", "dollars", "pounds", "£", "€", "$", "total", "amount", "montant", "betrag", "importe"]

    /// Abbreviations whose full stop does not end a sentence ("Tel. 020…", "Réf. 12…").
    private static let abbreviations: Set<String> = ["tel", "tél", "telf", "mob", "nr", "no", "núm", "num", "n", "réf", "ref", "ext", "art", "nº", "n°"]

    /// The nearest telling word among the three before `index`, within its sentence.
    private func context(before index: Int) -> Context {
        let from = max(0, index - 60)
        let before = Array(text.substring(with: NSRange(location: from, length: index - from)).lowercased())
        var words: [String] = []
        var word = ""
        var afterFullStop = false
        var i = before.count - 1
        scan: while i >= -1, words.count < 3 {
            let c: Character = i >= 0 ? before[i] : " "
            if c.isLetter || "€$£".contains(c) {
                word = String(c) + word
            } else {
                if !word.isEmpty {
                    if afterFullStop && !NumberScanner.abbreviations.contains(word) { break scan }
                    words.append(word)
                    word = ""
                    afterFullStop = false
                }
                if "!?;\n".contains(c) { break scan }
                if c == "." { afterFullStop = true }
            }
            i -= 1
        }
        for w in words {
            if NumberScanner.referenceWords.contains(w) { return .reference }
            if NumberScanner.phoneWords.contains(w) { return .phone }
            if NumberScanner.cardWords.contains(w) { return .card }
            if NumberScanner.amountWords.contains(w) { return .amount }
        }
        return .none
    }

    private func followedByAmount(_ g: Group) -> Bool {
        let to = min(units.count, g.end + 10)
        let after = text.substring(with: NSRange(location: g.end, length: to - g.end)).lowercased()
        return after.hasPrefix(" €") || after.hasPrefix(" eur") || after.hasPrefix(" $") || after.hasPrefix(" £") || after.hasPrefix(",")
            && after.dropFirst().first?.isNumber == true
    }

    // MARK: Cards

    private func isCard(_ run: [Int]) -> Bool {
        let digits = run.map { groups[$0].digits }.joined()
        guard (13...19).contains(digits.count), Redactor.luhn(digits) else { return false }
        let separators = Set(zip(run, run.dropFirst()).map { joiner(groups[$0], groups[$1]) })
        guard separators.count <= 1, separators.isSubset(of: [" ", "-", ".", "\u{00A0}"]) else { return false }
        let ctx = context(before: groups[run[0]].start)
        return NumberScanner.issuerAccepts(digits) || ctx == .card
    }

    /// Issuer identification number ranges and lengths of the major schemes (ISO/IEC 7812 registry as
    /// published by the schemes): Visa, Mastercard, American Express, Discover, JCB, Diners, Maestro,
    /// UnionPay.
    static func issuerAccepts(_ digits: String) -> Bool {
        let n = digits.count
        func prefix(_ k: Int) -> Int { Int(digits.prefix(k)) ?? -1 }
        switch true {
        case digits.hasPrefix("4"): return n == 16 || n == 19
        case (51...55).contains(prefix(2)), (2221...2720).contains(prefix(4)): return n == 16
        case prefix(2) == 34 || prefix(2) == 37: return n == 15
        case digits.hasPrefix("6011"), prefix(2) == 65, (644...649).contains(prefix(3)): return (16...19).contains(n)
        case (3528...3589).contains(prefix(4)): return (16...19).contains(n)
        case (300...305).contains(prefix(3)), prefix(2) == 36, prefix(2) == 38, prefix(2) == 39: return (14...19).contains(n)
        case prefix(2) == 62: return (16...19).contains(n)
        case prefix(2) == 50, (56...69).contains(prefix(2)): return (16...19).contains(n)
        default: return false
        }
    }

    // MARK: Phones

    /// Country calling codes of ITU-T E.164 (those in use), by length, for numbers written `00CC…`.
    private static let callingCodes: Set<String> = [
        "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49", "51", "52",
        "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94",
        "95", "98", "212", "213", "216", "218", "220", "221", "225", "233", "234", "254", "255", "256", "351", "352", "353", "354", "355",
        "356", "357", "358", "359", "370", "371", "372", "373", "374", "375", "376", "377", "378", "380", "381", "382", "385", "386", "387",
        "389", "420", "421", "423", "852", "853", "880", "886", "961", "962", "963", "964", "965", "966", "971", "972", "973", "974",
    ]

    private func isPhone(_ run: [Int]) -> Bool {
        let first = groups[run[0]]
        // A "(0)" between the country code and the number is the trunk prefix, not part of it.
        let counted = run.filter { k in
            !(groups[k].digits == "0" && k > 0 && joiner(groups[k - 1], groups[k]).hasSuffix("(") && k + 1 < groups.count
              && joiner(groups[k], groups[k + 1]).hasPrefix(")"))
        }
        let digits = counted.map { groups[$0].digits }.joined()
        let sizes = run.map { groups[$0].digits.count }
        let n = digits.count
        if run.count > 1, sizes.last! < 2 { return false }
        if followedByAmount(groups[run.last!]) || context(before: first.start) == .amount { return false }
        let plus = first.start > 0 && units[first.start - 1] == 0x2B
        if plus || (digits.hasPrefix("00") && !digits.hasPrefix("000")) {
            let core = plus ? digits : String(digits.dropFirst(2))
            guard (1...3).contains(where: { NumberScanner.callingCodes.contains(String(core.prefix($0))) }) else { return false }
            if !plus && run.count == 1 && !(11...15).contains(n) { return false }
            switch core.first {
            case "1": return core.count == 11
            default: return (8...15).contains(core.count)
            }
        }
        if digits.hasPrefix("0") {
            return run.count == 1 ? (10...11).contains(n) : (9...12).contains(n)
        }
        let paren = first.start > 0 && units[first.start - 1] == 0x28
        let joins = zip(run, run.dropFirst()).map { joiner(groups[$0], groups[$1]) }
        if sizes == [3, 3, 4] || (sizes == [1, 3, 3, 4] && digits.hasPrefix("1")) || (paren && sizes == [3, 3, 4]) {
            let area = sizes.count == 4 ? digits.dropFirst().first : digits.first
            if let area, area >= "2", !joins.contains("/") { return true }
        }
        if ["6", "7", "8", "9"].contains(digits.first), [[3, 3, 3], [3, 2, 2, 2], [2, 3, 2, 2], [2, 2, 2, 3]].contains(sizes),
           Set(joins).count == 1, joins.allSatisfy({ [" ", ".", "-", "\u{00A0}"].contains($0) }) {
            return true
        }
        if countryCode == "34", n == 9, run.count == 1, ["6", "7", "9"].contains(digits.first) { return context(before: first.start) != .amount }
        if context(before: first.start) == .phone, (7...12).contains(n) {
            return !(n == 8 && run.count == 1 && isCompactDate(digits))
        }
        return false
    }

    private func isCompactDate(_ digits: String) -> Bool {
        guard let y = Int(digits.prefix(4)), let m = Int(digits.dropFirst(4).prefix(2)), let d = Int(digits.suffix(2)) else { return false }
        return (1900...2099).contains(y) && (1...12).contains(m) && (1...31).contains(d)
    }

    private static let extensionPattern = try! NSRegularExpression(
        pattern: #"^[ ,]*(?:ext\.?|extension|x|durchwahl|dw\.?|app\.?|poste|extensión|anexo)[ .:]*\d{1,6}(?!\d)"#, options: [.caseInsensitive])

    /// The length of an extension written right after a phone number (`ext. 214`, `x12`, `poste 31`, `Durchwahl 12`).
    private func extensionLength(after index: Int) -> Int? {
        guard index < units.count else { return nil }
        let match = NumberScanner.extensionPattern.firstMatch(in: text as String, options: [.anchored],
                                                               range: NSRange(location: index, length: units.count - index))
        return match.map { $0.range.length }
    }
}
