import Foundation
import Mustache

/// The report and pack templates (`Report/Templates/*.mustache`), compiled into the binary. Each is
/// rendered from a typed page (``ReportPage``, ``PackPage``); the group tables of the report are one
/// partial (`groups.md`, `groups.html`) used for teams, queues and channels alike.
enum Templates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let sources: [(String, [UInt8])] = [
            ("report.md", PackageResources.report_md_mustache), ("report.html", PackageResources.report_html_mustache),
            ("groups.md", PackageResources.groups_md_mustache), ("groups.html", PackageResources.groups_html_mustache),
            ("pack.md", PackageResources.pack_md_mustache), ("pack.html", PackageResources.pack_html_mustache),
            ("form.html", PackageResources.form_html_mustache),
        ]
        for (name, bytes) in sources {
            // The templates are part of the source tree and checked by the snapshot tests: a broken one
            // is a build defect, not a user's error.
            // swiftlint:disable:next force_try
            try! library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        return library
    }()

    /// Renders `page` with the template registered as `name` (e.g. `report.html`).
    static func render(_ page: Any, _ name: String) -> String {
        guard let text = library.render(page, withTemplate: name) else { preconditionFailure("no template named \(name)") }
        return text
    }
}
