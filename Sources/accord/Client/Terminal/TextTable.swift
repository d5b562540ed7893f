/// A plain-text table with columns padded to their widest cell, for terminals and logs alike.
struct TextTable {
    enum Alignment { case left, right }

    struct Column {
        var title: String
        var alignment: Alignment = .left
    }

    var columns: [Column]
    var rows: [[String]] = []

    init(_ columns: [Column]) { self.columns = columns }

    init(_ titles: String...) { self.columns = titles.map { Column(title: $0) } }

    mutating func add(_ cells: [String]) { rows.append(cells) }

    /// The table as lines: a header, a rule, the rows. Cells beyond the columns are dropped, missing ones empty.
    func render() -> [String] {
        let widths = columns.indices.map { index in
            ([columns[index].title] + rows.map { index < $0.count ? $0[index] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            columns.indices.map { index in
                let cell = index < cells.count ? cells[index] : ""
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return columns[index].alignment == .left ? cell + padding : padding + cell
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        return [line(columns.map(\.title)), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")] + rows.map(line)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
