import Foundation

/// The recognisers that are patterns with a check: e-mails, IBANs, dates of birth, national ids,
/// postcodes and names.
extension Redactor {
    private static func regex(_ pattern: String, caseInsensitive: Bool = false) -> NSRegularExpression {
        // The patterns are constants of this file: a failure to compile is a programming error caught by the tests.
        try! NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
    }

    private static func ranges(_ regex: NSRegularExpression, in text: NSString, group: Int = 0) -> [NSRange] {
        regex.matches(in: text as String, range: NSRange(location: 0, length: text.length)).compactMap {
            let range = $0.range(at: group)
            return range.location == NSNotFound ? nil : range
        }
    }

    // MARK: E-mail

    private static let localPart = #"[\p{L}\p{N}](?:[\p{L}\p{N}._%+'’-]*[\p{L}\p{N}_%+-])?"#
    private static let label = #"[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?"#
    private static let atSign = #"(?:\s?@\s?|\s?[(\[{]\s?(?:at|ät|arobase|arroba)\s?[)\]}]\s?)"#
    private static let dotSign = #"(?:\.|\s?[(\[{]\s?(?:dot|point|punkt|punto)\s?[)\]}]\s?)"#
    /// `local@domain.tld`, Unicode letters allowed on both sides, `@` spaced or bracketed as `(at)`.
    private static let writtenEmail = regex(
        #"(?<![\p{L}\p{N}._%+-])"# + localPart + atSign + label + "(?:" + dotSign + label + ")*" + dotSign + #"\p{L}{2,}(?![\p{L}\p{N}])"#,
        caseInsensitive: true)
    /// Top-level domains accepted in a spelled-out address, where "dot" alone would be too loose a sign.
    private static let spelledTLDs = "com|org|net|edu|gov|info|biz|io|co|uk|de|fr|es|it|nl|be|ch|at|eu|ie|pt|pl|us|ca|mx|ar|cl|br|au|nz|se|no|dk|fi|lu|li|cat|mail"
    /// `jane dot doe at example dot com` and its French (`arobase`, `point`), German (`punkt`) and
    /// Spanish (`arroba`, `punto`) forms.
    private static let spelledEmail = regex(
        #"(?<![\p{L}\p{N}])[\p{L}\p{N}][\p{L}\p{N}._%+'’-]*(?:\s+(?:dot|point|punkt|punto)\s+[\p{L}\p{N}][\p{L}\p{N}._%+'’-]*)*"#
            + #"\s+(?:at|ät|arobase|arroba)\s+"# + label + #"(?:\s+(?:dot|point|punkt|punto)\s+"# + label + ")*"
            + #"\s+(?:dot|point|punkt|punto)\s+(?:"# + spelledTLDs + #")(?![\p{L}\p{N}])"#,
        caseInsensitive: true)

    static func emails(in text: NSString) -> [(NSRange, PersonalDataKind)] {
        (ranges(writtenEmail, in: text) + ranges(spelledEmail, in: text)).map { ($0, .email) }
    }

    // MARK: IBAN

    /// Lengths of the IBANs of the registry of ISO 13616 by country.
    private static let ibanLengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CR": 22,
        "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22,
        "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
        "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31,
        "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24,
        "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
    ]
    private static let ibanStart = regex(#"(?<![\p{L}\p{N}])[A-Za-z]{2}\d{2}"#)

    /// IBANs written with or without spaces, whose length is their country's and whose check digits
    /// hold (ISO 13616: the rearranged number mod 97 is 1).
    static func ibans(in text: NSString) -> [NSRange] {
        var found: [NSRange] = []
        for start in ranges(ibanStart, in: text) {
            let country = text.substring(with: NSRange(location: start.location, length: 2)).uppercased()
            guard let length = ibanLengths[country] else { continue }
            var chars: [UInt16] = []
            var i = start.location
            while i < text.length, chars.count < length {
                let c = text.character(at: i)
                if isASCIIAlphanumeric(c) { chars.append(c) } else if c == 0x20, i + 1 < text.length, isASCIIAlphanumeric(text.character(at: i + 1)), !chars.isEmpty {} else { break }
                i += 1
            }
            guard chars.count == length, i >= text.length || !isASCIIAlphanumeric(text.character(at: i)) else { continue }
            let iban = String(utf16CodeUnits: chars, count: chars.count).uppercased()
            if ibanChecks(iban) { found.append(NSRange(location: start.location, length: i - start.location)) }
        }
        return found
    }

    static func ibanChecks(_ iban: String) -> Bool {
        let rearranged = iban.dropFirst(4) + iban.prefix(4)
        var remainder = 0
        for c in rearranged {
            if let d = c.wholeNumberValue, c.isASCII {
                remainder = (remainder * 10 + d) % 97
            } else if let a = c.asciiValue, (65...90).contains(a) {
                remainder = (remainder * 100 + Int(a) - 55) % 97
            } else { return false }
        }
        return remainder == 1
    }

    private static func isASCIIAlphanumeric(_ c: UInt16) -> Bool { (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }

    // MARK: Date of birth

    private static let months = "january|february|march|april|may|june|july|august|september|october|november|december"
        + "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
        + "|janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
        + "|januar|jänner|februar|märz|maerz|juni|juli|oktober|dezember"
        + "|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
    private static let dateText = #"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"#
        + #"|\d{1,2}(?:st|nd|rd|th|er|º|\.)?\s+(?:de\s+)?(?:"# + months + #")\.?(?:\s+de)?,?\s+\d{4}"#
        + "|(?:" + months + #")\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})(?![\p{N}])"#
    /// A date introduced as a date of birth ("DOB 12/03/1985", "né le 3 mars 1990", "geboren am
    /// 1. Mai 1970", "fecha de nacimiento: 12 de marzo de 1985"); the introduction stays.
    private static let dateOfBirth = regex(
        #"(?<![\p{L}])(?:date of birth|birth ?date|d\.o\.b\.?|dob|born(?: on)?|date de naissance|née?(?:\(e\))? le|geburtsdatum|geb\.(?:-datum)?|geboren(?: am)?|fecha de nacimiento|f\. ?nac\.?|nacid[oa] el|nacimiento)"#
            + #"[\s:=,–-]*(?:[\p{L}]+[\s:,]+){0,3}?("# + dateText + ")",
        caseInsensitive: true)

    static func datesOfBirth(in text: NSString) -> [NSRange] { ranges(dateOfBirth, in: text, group: 1) }

    // MARK: National identifiers

    /// UK National Insurance numbers (HMRC's prefixes: not D, F, I, Q, U, V first; not O second; not
    /// BG, GB, KN, NK, NT, TN, ZZ), in any spacing.
    private static let niNumber = regex(
        #"(?<![\p{L}\p{N}])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\p{L}\p{N}])"#,
        caseInsensitive: true)
    /// US social security numbers as written, `123-45-6789` (no 000, 666 or 9xx area; no 00 group; no 0000 serial).
    private static let ssn = regex(#"(?<![\p{N}-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\p{N}-])"#)
    /// French NIR (sex, year, month, département, commune, order, key), checked by its key.
    private static let nir = regex(#"(?<![\p{N}])([12]) ?(\d{2}) ?(0[1-9]|1[0-2]|[2-9]\d) ?(\d{2}|2[AB]) ?(\d{3}) ?(\d{3}) ?(\d{2})(?![\p{N}])"#,
                                   caseInsensitive: true)
    /// Spanish DNI (8 digits and a letter) and NIE (X, Y or Z, 7 digits, a letter), checked by the letter.
    private static let dni = regex(#"(?<![\p{L}\p{N}])([XYZ]?)-?(\d{7,8})[- ]?([A-Z])(?![\p{L}\p{N}])"#, caseInsensitive: true)

    static func nationalIDs(in text: NSString) -> [NSRange] {
        var found = ranges(niNumber, in: text) + ranges(ssn, in: text)
        let whole = NSRange(location: 0, length: text.length)
        for match in nir.matches(in: text as String, range: whole) {
            let parts = (1...7).map { text.substring(with: match.range(at: $0)).uppercased() }
            let body = (parts[0..<6].joined()).replacingOccurrences(of: "2A", with: "19").replacingOccurrences(of: "2B", with: "18")
            guard let key = Int(parts[6]), let number = Int(body) else { continue }
            if 97 - number % 97 == key { found.append(match.range) }
        }
        let letters = Array("TRWAGMYFPDXBNJZSQVHLCKE")
        for match in dni.matches(in: text as String, range: whole) {
            let prefix = text.substring(with: match.range(at: 1)).uppercased()
            let digits = text.substring(with: match.range(at: 2))
            guard (prefix.isEmpty && digits.count == 8) || (!prefix.isEmpty && digits.count == 7) else { continue }
            let lead = ["": "", "X": "0", "Y": "1", "Z": "2"][prefix] ?? ""
            guard let number = Int(lead + digits) else { continue }
            if String(letters[number % 23]) == text.substring(with: match.range(at: 3)).uppercased() { found.append(match.range) }
        }
        return found
    }

    // MARK: Postcode

    /// UK postcodes by the pattern of the Office for National Statistics' postcode directory (outward
    /// code, optional space, inward code), in capitals as they are written.
    private static let ukPostcode = regex(
        #"(?<![\p{L}\p{N}])(?:GIR ?0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y]) ?\d[ABD-HJLNP-UW-Z]{2})(?![\p{L}\p{N}])"#)

    static func postcodes(in text: NSString) -> [NSRange] { ranges(ukPostcode, in: text) }

    // MARK: Names

    /// A capitalised name: `Patel`, `O'Connor`, `MacLeod`, `Smith-Jones`, `NGUYEN`, with an initial (`J. Smith`).
    private static let nameWord = #"(?:\p{Lu}\.\s?)?(?:(?=\p{Lu}[\p{Ll}\p{M}'’])\p{Lu}[\p{Ll}\p{M}]*(?:['’]?\p{Lu}[\p{Ll}\p{M}]+)?(?:-\p{Lu}[\p{Ll}\p{M}]+)?|\p{Lu}{2,}(?![\p{Ll}]))"#
    private static let particle = #"(?:van der|van den|van|von der|von|de la|de los|del|de|la|le|du|da|di|dos|das|y)\s+"#
    static let titleWords = ["Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Lady", "Lord", "mr", "mrs", "ms", "dr", "Herr", "Frau",
                             "Hr", "Fr", "Mme", "Mlle", "Monsieur", "Madame", "Mademoiselle", "Sr", "Sra", "Srta", "Señor", "Señora", "Señorita",
                             "Don", "Doña", "Dña"]
    static let salutationPhrases = ["Dear", "Hello", "Hi", "Hey", "Good morning", "Good afternoon", "Bonjour", "Bonsoir", "Salut", "Cher", "Chère",
                                    "Hallo", "Liebe", "Lieber", "Sehr geehrte", "Sehr geehrter", "Guten Tag", "Hola", "Buenos días",
                                    "Buenas tardes", "Estimado", "Estimada", "Querido", "Querida"]
    private static let titles = titleWords.joined(separator: "|")
    private static let salutations = salutationPhrases.joined(separator: "|")
    /// Words after a salutation that are not a person's name.
    private static let notNames: Set<String> = [
        "Team", "All", "Everyone", "Customer", "Customers", "Caller", "Colleague", "Colleagues", "There", "Sir", "Madam", "Kunde", "Kundin",
        "Kunden", "Kollege", "Kollegin", "Client", "Cliente", "Clientes", "Collègue", "Compañero", "Compañera", "Madame", "Monsieur",
        "Herr", "Frau", "Señor", "Señora", "Mr", "Mrs", "Ms", "Miss", "Dr",
    ]
    /// A name after a title ("Mr Patel", "Mme Dubois", "Herr Müller", "Sra. García") or a salutation
    /// ("Dear Sarah", "Hola Juan"); the title or salutation stays.
    private static let titledName = regex(
        #"(?<![\p{L}\p{N}.])(?:(?:"# + titles + #")\.?|[MD]\.)\s+((?:"# + particle + ")?" + nameWord + "(?:(?:[ ]" + particle + "|[ ])" + nameWord + "){0,2})")
    private static let greetedName = regex(
        #"(?<![\p{L}\p{N}])(?:"# + salutations + #"),?\s+((?:"# + particle + ")?" + nameWord + "(?:[ ]" + nameWord + ")?)(?![\\p{L}])")

    /// Names, each with the range of the whole match (title included) so that a title letter that is
    /// part of an id already found ("… 56 D. Logged") is not read as a title.
    static func names(in text: NSString) -> [(name: NSRange, match: NSRange)] {
        let whole = NSRange(location: 0, length: text.length)
        let titled = titledName.matches(in: text as String, range: whole).map { ($0.range(at: 1), $0.range) }
        let greeted = greetedName.matches(in: text as String, range: whole).map { ($0.range(at: 1), $0.range) }.filter {
            !notNames.contains(text.substring(with: $0.0).components(separatedBy: " ")[0])
        }
        return titled + greeted
    }
}
