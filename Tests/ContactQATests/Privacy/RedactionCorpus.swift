@testable import ContactQA
import ContactQATesting
import Foundation

/// A seeded, labelled corpus of QA comments in English, French, German and Spanish: each comment
/// knows where its personal data is (and of which class) and where its look-alikes are — references,
/// order numbers, dates, times, amounts, durations, versions and ticket ids that must survive.
///
/// The forms are those evaluators write (and those an audit of our earlier rules found missed):
/// spaced and spelled-out e-mail addresses, accented local parts and domains, numbers written with
/// dots or slashes, extensions, cards in any separator, IBANs, national ids, postcodes, names after
/// titles and dates of birth.
struct RedactionCorpus {
    struct Span {
        var range: NSRange
        var kind: PersonalDataKind?  // nil: a look-alike that must survive
        var text: String
    }

    struct Comment {
        var text: String
        var spans: [Span]
    }

    private var rng: SplitMix64
    private(set) var comments: [Comment] = []

    init(seed: UInt64, count: Int) {
        rng = SplitMix64(seed: seed)
        for _ in 0..<count { comments.append(makeComment()) }
    }

    // MARK: Assembly

    private struct Builder {
        var text = ""
        var spans: [Span] = []
        mutating func plain(_ s: String) { text += s }
        mutating func span(_ s: String, _ kind: PersonalDataKind?) {
            let start = (text as NSString).length
            text += s
            spans.append(Span(range: NSRange(location: start, length: (s as NSString).length), kind: kind, text: s))
        }
    }

    private mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    private mutating func digits(_ n: Int) -> String { (0..<n).map { _ in String(rng.next() % 10) }.joined() }
    private mutating func chance(_ p: Double) -> Bool { rng.unit() < p }

    private mutating func makeComment() -> Comment {
        var b = Builder()
        let language = pick(["en", "fr", "de", "es"])
        b.plain(pick(openers[language]!) + " ")
        let personal = chance(0.8) ? 1 + Int(rng.next() % 2) : 0
        let lookAlikes = Int(rng.next() % 3)
        var parts: [Bool] = Array(repeating: true, count: personal) + Array(repeating: false, count: lookAlikes)
        parts.shuffle(using: &rng)
        for isPersonal in parts {
            if isPersonal { personalSentence(&b, language) } else { lookAlikeSentence(&b, language) }
            b.plain(" ")
        }
        b.plain(pick(closers[language]!))
        return Comment(text: b.text, spans: b.spans)
    }

    private let openers: [String: [String]] = [
        "en": ["Good empathy throughout.", "Agent was polite but rushed the close.", "Identity check done late.", "Clear explanation of the bill.", "Hold not explained."],
        "fr": ["Bonne écoute du client.", "Conseiller poli mais trop rapide.", "Vérification d'identité tardive.", "Explication claire de la facture."],
        "de": ["Gute Gesprächsführung.", "Berater freundlich, aber zu schnell.", "Identitätsprüfung zu spät.", "Rechnung klar erklärt."],
        "es": ["Buena empatía durante la llamada.", "Agente amable pero apresurado.", "Verificación de identidad tardía.", "Explicación clara de la factura."],
    ]
    private let closers: [String: [String]] = [
        "en": ["Coach on the closing.", "Otherwise fine.", "Well done.", "Needs a follow-up."],
        "fr": ["À revoir en coaching.", "Sinon très bien.", "Bravo."],
        "de": ["Im Coaching besprechen.", "Sonst gut.", "Gut gemacht."],
        "es": ["Revisar en el coaching.", "Por lo demás bien.", "Bien hecho."],
    ]

    // MARK: Personal data

    private mutating func personalSentence(_ b: inout Builder, _ language: String) {
        switch pick(PersonalDataKind.allCases) {
        case .email:
            let (lead, tail) = pick(emailFrames[language]!)
            b.plain(lead); b.span(email(language), .email); b.plain(tail)
        case .phone:
            let (lead, tail) = pick(phoneFrames[language]!)
            b.plain(lead); b.span(phone(), .phone)
            if chance(0.15) { b.plain(" "); b.span(pick(["3", "2", "4"]), nil); b.plain(pick([" times.", " fois.", " Mal.", " veces."])) } else { b.plain(tail) }
        case .card:
            b.plain(pick(["Customer read out the card ", "Card number given in clear: ", "Le client a donné sa carte ", "Kunde nannte die Karte ", "Dictó la tarjeta ", "Paid with "]))
            b.span(card(), .card); b.plain(pick([" on the call.", ".", " sans hésiter.", " am Telefon.", " por teléfono."]))
        case .iban:
            b.plain(pick(["IBAN read back: ", "New bank details ", "Nouvel IBAN ", "Neue IBAN ", "IBAN nuevo: "]))
            b.span(iban(), .iban); b.plain(pick([" confirmed.", ".", " noté.", " bestätigt.", " confirmado."]))
        case .nationalID:
            b.plain(pick(["NI number ", "Customer gave NINO ", "SSN ", "Numéro de sécu ", "DNI ", "NIE "]))
            b.span(nationalID(), .nationalID); b.plain(pick([" for the ID check.", " given.", " donné.", ".", " facilitado."]))
        case .postcode:
            b.plain(pick(["Confirmed postcode ", "Address check: postcode ", "Moved to ", "Delivery to "]))
            b.span(postcode(), .postcode); b.plain(pick([" last month.", ".", " area.", " confirmed."]))
        case .name:
            let (title, tail) = pick(nameFrames[language]!)
            b.plain(title); b.span(pick(surnames[language]!), .name); b.plain(tail)
        case .dateOfBirth:
            let (lead, tail) = pick(dobFrames[language]!)
            b.plain(lead); b.span(dateOfBirth(language), .dateOfBirth); b.plain(tail)
        }
    }

    private let emailFrames: [String: [(String, String)]] = [
        "en": [("Customer asked for the quote at ", "."), ("Sent the form to ", " as asked."), ("Email on file is ", ", confirmed."), ("new address ", " noted")],
        "fr": [("Envoi du devis à ", "."), ("Adresse mail : ", ", confirmée."), ("Le client écrit depuis ", " désormais.")],
        "de": [("Angebot an ", " geschickt."), ("E-Mail-Adresse ", " bestätigt."), ("Neue Adresse: ", ".")],
        "es": [("Presupuesto enviado a ", "."), ("Correo: ", ", confirmado."), ("Escribe desde ", " ahora.")],
    ]
    private let phoneFrames: [String: [(String, String)]] = [
        "en": [("Call back on ", " tomorrow."), ("Customer left ", " as the best number."), ("Dialled ", " twice."), ("Mobile ", " confirmed."), ("Asked to be reached at ", ".")],
        "fr": [("Rappeler au ", " demain."), ("Numéro laissé : ", "."), ("Joignable au ", " le matin.")],
        "de": [("Rückruf unter ", " vereinbart."), ("Kunde erreichbar unter ", "."), ("Telefon ", " notiert.")],
        "es": [("Llamar al ", " mañana."), ("Dejó el número ", "."), ("Contacto en el ", " por la tarde.")],
    ]
    private let nameFrames: [String: [(String, String)]] = [
        "en": [("Agent greeted Mr ", " by name."), ("Mrs ", " was upset about the delay."), ("Dr. ", " asked for a callback."), ("Ms ", " thanked the agent."), ("Dear ", ", thanks for waiting.")],
        "fr": [("Mme ", " était mécontente."), ("M. ", " a demandé un rappel."), ("Monsieur ", " attendait depuis 20 min."), ("Bonjour ", ", merci de votre patience.")],
        "de": [("Herr ", " war verärgert."), ("Frau ", " bat um Rückruf."), ("Hallo ", ", danke fürs Warten.")],
        "es": [("La Sra. ", " estaba molesta."), ("El Sr. ", " pidió una llamada."), ("Hola ", ", gracias por esperar."), ("Doña ", " reclamó la factura.")],
    ]
    private let surnames: [String: [String]] = [
        "en": ["Patel", "O'Connor", "Smith-Jones", "Nguyen", "MacLeod", "Okafor", "Wright", "Sarah", "James Holloway", "J. Smith", "Ana-María Ruiz"],
        "fr": ["Dubois", "Lefèvre", "Benali", "Moreau", "Dupont-Martin", "Élodie"],
        "de": ["Müller", "Schäfer", "von Bülow", "Özdemir", "Weiß", "Jürgen"],
        "es": ["García", "Fernández López", "Núñez", "Ibáñez", "Lucía", "de la Cruz"],
    ]
    private let dobFrames: [String: [(String, String)]] = [
        "en": [("DOB ", " verified."), ("Date of birth: ", ", checked."), ("Customer confirmed date of birth as ", "."), ("born on ", " per the account.")],
        "fr": [("Date de naissance ", " vérifiée."), ("Client né le ", ", vérifié.")],
        "de": [("Geburtsdatum ", " geprüft."), ("Kundin geboren am ", ", bestätigt.")],
        "es": [("Fecha de nacimiento: ", ", verificada."), ("Cliente nacido el ", ".")],
    ]

    private mutating func email(_ language: String) -> String {
        let first = pick(["jane", "tom", "josé", "françois", "jürgen", "ana", "mike.b", "s.khan", "info", "kontakt"])
        let last = pick(["doe", "o'brien", "gómez", "müller", "lefèvre", "smith99", "garcia-lopez"])
        let domain = pick(["example.com", "mail.co.uk", "schäfer-elektro.de", "orange.fr", "correo.es", "gmx.de", "société-générale.fr", "acme-corp.com"])
        let parts = domain.split(separator: ".").map(String.init)
        switch rng.next() % 9 {
        case 0: return "\(first).\(last)@\(domain)"
        case 1: return "\(first)@\(domain)".uppercased()
        case 2: return "\(first).\(last) @ \(domain)"
        case 3: return "\(first)@ \(domain)"
        case 4:
            let (at, dot) = [("at", "dot"), ("arobase", "point"), ("at", "punkt"), ("arroba", "punto")][["en", "fr", "de", "es"].firstIndex(of: language)!]
            return "\(first) \(dot) \(last) \(at) \(parts.joined(separator: " \(dot) "))"
        case 5:
            let (at, dot) = [("at", "dot"), ("arobase", "point"), ("at", "punkt"), ("arroba", "punto")][["en", "fr", "de", "es"].firstIndex(of: language)!]
            return "\(last) \(at) \(parts.joined(separator: " \(dot) "))"
        case 6: return "\(first)(at)\(parts.joined(separator: "."))"
        case 7: return "\(first) [at] \(parts.joined(separator: " [dot] "))"
        default: return "\(last)+qa@\(domain)"
        }
    }

    private mutating func phone() -> String {
        let d = { (n: Int, r: inout RedactionCorpus) in r.digits(n) }
        var number: String
        switch rng.next() % 30 {
        case 0: number = "07700 \(d(6, &self))"
        case 1: number = "077\(d(8, &self))"
        case 2: number = "020 \(d(4, &self)) \(d(4, &self))"
        case 3: number = "+44 20 \(d(4, &self)) \(d(4, &self))"
        case 4: number = "+44 (0)20 \(d(4, &self)) \(d(4, &self))"
        case 5: number = "0161-\(d(3, &self))-\(d(4, &self))"
        case 6: number = "0161.\(d(3, &self)).\(d(4, &self))"
        case 7: number = "(555) 2\(d(2, &self))-\(d(4, &self))"
        case 8: number = "555-3\(d(2, &self))-\(d(4, &self))"
        case 9: number = "415.5\(d(2, &self)).\(d(4, &self))"
        case 10: number = "+1 212 5\(d(2, &self)) \(d(4, &self))"
        case 11: number = "1-800-\(d(3, &self))-\(d(4, &self))"
        case 12: number = "01 \(d(2, &self)) \(d(2, &self)) \(d(2, &self)) \(d(2, &self))"
        case 13: number = "06.\(d(2, &self)).\(d(2, &self)).\(d(2, &self)).\(d(2, &self))"
        case 14: number = "+33 6 \(d(2, &self)) \(d(2, &self)) \(d(2, &self)) \(d(2, &self))"
        case 15: number = "030/\(d(7, &self))"
        case 16: number = "0171 \(d(7, &self))"
        case 17: number = "+49 30 \(d(8, &self))"
        case 18: number = "0049 171 \(d(7, &self))"
        case 19: number = "(030) \(d(7, &self))"
        case 20: number = "612 \(d(3, &self)) \(d(3, &self))"
        case 21: number = "91 \(d(3, &self)) \(d(2, &self)) \(d(2, &self))"
        case 22: number = "+34 612 \(d(2, &self)) \(d(2, &self)) \(d(2, &self))"
        case 23: number = "6\(d(2, &self)).\(d(3, &self)).\(d(3, &self))"
        case 24: number = "+44 7700 \(d(3, &self)) \(d(3, &self))"
        case 25: number = "07700-\(d(3, &self))-\(d(3, &self))"
        case 26: number = "+49 (0)30 \(d(7, &self))"
        case 27: number = "+34 91 \(d(3, &self)) \(d(2, &self)) \(d(2, &self))"
        case 28: number = "0044 20 \(d(4, &self)) \(d(4, &self))"
        default: number = "+33 (0)1 \(d(2, &self)) \(d(2, &self)) \(d(2, &self)) \(d(2, &self))"
        }
        if chance(0.15) { number += pick([" ext. ", " x", " poste ", " Durchwahl ", " ext "]) + digits(2 + Int(rng.next() % 3)) }
        return number
    }

    private mutating func luhnComplete(_ body: String) -> String {
        // The Luhn check digit (ISO/IEC 7812-1), computed here rather than with the code under test.
        var sum = 0
        for (i, c) in body.reversed().enumerated() {
            var d = c.wholeNumberValue!
            if i % 2 == 0 { d *= 2; if d > 9 { d -= 9 } }
            sum += d
        }
        return body + String((10 - sum % 10) % 10)
    }

    private mutating func card() -> String {
        let number: String
        let groups: [Int]
        switch rng.next() % 4 {
        case 0: number = luhnComplete("4" + digits(14)); groups = [4, 4, 4, 4]
        case 1: number = luhnComplete(pick(["51", "53", "55"]) + digits(13)); groups = [4, 4, 4, 4]
        case 2: number = luhnComplete(pick(["34", "37"]) + digits(12)); groups = [4, 6, 5]
        default: number = luhnComplete("6011" + digits(11)); groups = [4, 4, 4, 4]
        }
        let separator = pick([" ", "-", ".", ""])
        var out: [String] = []
        var rest = Substring(number)
        for g in groups { out.append(String(rest.prefix(g))); rest = rest.dropFirst(g) }
        return out.joined(separator: separator)
    }

    private mutating func iban() -> String {
        let (country, bban): (String, String) = switch rng.next() % 4 {
        case 0: ("GB", pick(["NWBK", "BARC", "LOYD", "MIDL"]) + digits(14))
        case 1: ("DE", digits(18))
        case 2: ("FR", digits(10) + "A" + digits(10) + digits(2))
        default: ("ES", digits(20))
        }
        var check = 0
        for c in bban + country + "00" {
            if let v = c.wholeNumberValue, c.isASCII { check = (check * 10 + v) % 97 } else { check = (check * 100 + Int(c.asciiValue!) - 55) % 97 }
        }
        let full = country + String(format: "%02d", 98 - check) + bban
        guard chance(0.6) else { return full }
        return stride(from: 0, to: full.count, by: 4).map { i in
            String(full.dropFirst(i).prefix(4))
        }.joined(separator: " ")
    }

    private mutating func nationalID() -> String {
        switch rng.next() % 4 {
        case 0:
            let first = pick(Array("ABCEGHJKLMNOPRSTWXYZ")), second = pick(Array("ABCEGHJKLMNPRSTWXYZ"))
            let prefix = String([first, second])
            let p = ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].contains(prefix) ? "AB" : prefix
            return chance(0.5) ? "\(p) \(digits(2)) \(digits(2)) \(digits(2)) \(pick(["A", "B", "C", "D"]))" : "\(p)\(digits(6))\(pick(["A", "B", "C", "D"]))"
        case 1: return "\(Int(rng.next() % 660) + 100)-\(Int(rng.next() % 89) + 10)-\(Int(rng.next() % 8999) + 1000)"
        case 2:
            let body = "\(pick(["1", "2"]))\(digits(2))\(String(format: "%02d", Int(rng.next() % 12) + 1))\(String(format: "%02d", Int(rng.next() % 95) + 1))\(digits(3))\(digits(3))"
            let key = 97 - Int(body)! % 97
            return chance(0.5) ? body + String(format: "%02d", key) : "\(body.prefix(1)) \(body.dropFirst(1).prefix(2)) \(body.dropFirst(3).prefix(2)) \(body.dropFirst(5).prefix(2)) \(body.dropFirst(7).prefix(3)) \(body.dropFirst(10)) " + String(format: "%02d", key)
        default:
            let n = Int(rng.next() % 90_000_000) + 10_000_000
            return "\(n)\(Array("TRWAGMYFPDXBNJZSQVHLCKE")[n % 23])"
        }
    }

    private mutating func postcode() -> String {
        pick(["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "W1A 0AX", "LS1 4AP", "G2 3WT", "EH8 9YL", "BS1 5TR", "NE1 7RU"])
    }

    private mutating func dateOfBirth(_ language: String) -> String {
        let day = Int(rng.next() % 28) + 1, month = Int(rng.next() % 12) + 1, year = 1940 + Int(rng.next() % 65)
        let names = ["en": ["January", "March", "July", "October"], "fr": ["janvier", "mars", "juillet", "octobre"],
                     "de": ["Januar", "März", "Juli", "Oktober"], "es": ["enero", "marzo", "julio", "octubre"]]
        switch rng.next() % 4 {
        case 0: return String(format: "%02d/%02d/%d", day, month, year)
        case 1: return String(format: "%d-%02d-%02d", year, month, day)
        case 2: return String(format: "%02d.%02d.%d", day, month, year)
        default:
            let m = pick(names[language]!)
            switch language {
            case "en": return "\(day) \(m) \(year)"
            case "de": return "\(day). \(m) \(year)"
            case "es": return "\(day) de \(m) de \(year)"
            default: return "\(day) \(m) \(year)"
            }
        }
    }

    // MARK: Look-alikes

    private mutating func lookAlikeSentence(_ b: inout Builder, _ language: String) {
        let day = Int(rng.next() % 28) + 1, month = Int(rng.next() % 12) + 1
        let items: [(String, String, String)] = [
            ("Reference ", digits(1) == "0" ? "7" + digits(15) : "1" + digits(12 + Int(rng.next() % 7)), " quoted."),
            ("Ref ", "9" + digits(15), " on the account."),
            ("Order ", "\(Int(rng.next() % 9) + 1)" + digits(6 + Int(rng.next() % 6)), " was late."),
            ("Bestellung ", "00" + digits(8), " verspätet."),
            ("Pedido ", digits(1) + digits(11), " retrasado."),
            ("Commande n° ", "0" + digits(9), " en retard."),
            ("EAN ", "4006381333931", " scanned."),
            ("Called on ", String(format: "2026-%02d-%02d", month, day), "."),
            ("Appel du ", String(format: "%02d-%02d-2026", day, month), "."),
            ("Anruf am ", String(format: "%02d.%02d.2026", day, month), "."),
            ("Llamada del ", String(format: "%02d/%02d/2026", day, month), "."),
            ("Logged at ", String(format: "2026-11-%02d 18:%02d", day, Int(rng.next() % 60)), "."),
            ("Ticket ", "CS-2026-" + digits(6), " opened."),
            ("Incident ", "INC00" + digits(5), " linked."),
            ("Customer since ", "2019-2024", ", loyal."),
            ("Refund of ", pick(["€1,234.56", "1 234,56 €", "£49.99", "$1,200.00", "612,50 €", "EUR 2.450,00"]), " agreed."),
            ("Handled in ", pick(["3 h 20 min", "245 s", "12:30 min", "14h30", "00:04:12"]), "."),
            ("App version ", pick(["v2.14.3", "10.0.19045", "5.1.2-beta"]), " installed."),
            ("Router IP ", "192.168.\(rng.next() % 255).\(rng.next() % 255)", " reset."),
            ("Score ", pick(["87.5%", "92 %", "4/5", "3 of 4"]), " this week."),
            ("Tracking ", "00" + digits(14), " sent."),
            ("Account ", digits(8), " in credit."),
            ("Dear ", "Customer", " was used."),
            ("Hi ", "Team", ", note for the huddle."),
            ("The agent looked ", "at the notes dot points", " quickly."),
            ("Contract ", "2026/" + digits(5), " renewed."),
            ("Between ", "9 and 17", " hours."),
            ("Callback promised ", pick(["Nov 24, 2026", "24/11/26", "24 Nov 2026"]), "."),
            ("Anruf um ", "18.30 Uhr", "."),
            ("Delivery in ", "3-4 days", "."),
            ("Customer uses an ", pick(["iPhone 15 Pro", "Windows 11", "Galaxy S23"]), "."),
            ("Target for ", "Q3 2026", " met."),
            ("Hello ", "Team B", ", see notes."),
            ("Meeting ", "at 5 pm", " with the lead."),
            ("Population ", "1.234.567", " in the region."),
            ("Hold of ", "00:03:45", " not explained."),
            ("Fall ", "0123 456 789", " geschlossen."),
            ("Member since ", "2012", ", 14 years."),
        ]
        let (lead, item, tail) = pick(items)
        b.plain(lead); b.span(item, nil); b.plain(tail)
    }
}
