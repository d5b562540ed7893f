extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's optional whitespace). Foundation's
    /// `trimmingCharacters(in: .whitespaces)` goes through `CharacterSet`, which cost more than the rest of
    /// authenticating a request.
    var trimmingHTTPWhitespace: String {
        let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isWhitespace($0) }), let last = lastIndex(where: { !isWhitespace($0) }) else { return "" }
        return String(self[first...last])
    }
}
