/// Escapes text for HTML element content and attribute values: every piece of user text in a report goes
/// through it.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A source as a link when it is an http(s) URL, else as text.
    static func source(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        let lower = text.lowercased()
        if (lower.hasPrefix("https://") || lower.hasPrefix("http://")), !text.contains(where: { $0 == " " || $0 == "\"" || $0 == "<" }) {
            return "<a href=\"\(escape(text))\">\(escape(text))</a>"
        }
        return escape(text)
    }
}
