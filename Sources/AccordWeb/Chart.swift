import AccordDomain
import AccordService

/// Progress over time as inline SVG step charts — one small chart per rule, its threshold dashed, the moment it
/// was satisfied marked. No script and no external resource; each chart has a text alternative, and the page
/// offers the same figures as a table.
enum ChartRenderer {
    static let width = 560.0
    static let height = 150.0
    static let left = 56.0
    static let right = 16.0
    static let top = 14.0
    static let bottom = 30.0

    static func svg(_ series: ProgressSeries, from start: Instant, to end: Instant) -> String {
        let span = Double(max(1, end.microsecondsSinceEpoch - start.microsecondsSinceEpoch))
        let maxValue = Double(max(1, max(series.threshold ?? 0, series.points.map(\.value).max() ?? 0)))
        func x(_ t: Instant) -> Double {
            left + (width - left - right) * Double(max(0, t.microsecondsSinceEpoch - start.microsecondsSinceEpoch)) / span
        }
        func y(_ v: Int64) -> Double { top + (height - top - bottom) * (1 - Double(v) / maxValue) }
        func f(_ d: Double) -> String { String(Int((d * 10).rounded())) .withDecimal }

        var path = ""
        var previousY: Double?
        for point in series.points {
            let px = x(point.at), py = y(point.value)
            if let previousY { path += " L\(f(px)) \(f(previousY)) L\(f(px)) \(f(py))" } else { path += "M\(f(px)) \(f(py))" }
            previousY = py
        }
        if let previousY { path += " L\(f(x(end))) \(f(previousY))" }

        let last = series.points.last?.value ?? 0
        let description = "\(series.label): \(series.figure) \(groupedDigits(last))"
            + (series.threshold.map { " of \(groupedDigits($0)) needed" } ?? "")
            + (series.satisfiedAt.map { "; satisfied on \($0.utcDate)" } ?? "; not satisfied")
        var svg = """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-labelledby="chart-\(series.rule)-t">\
            <title id="chart-\(series.rule)-t">\(Html.escape(description))</title>\
            <line class="axis" x1="\(f(left))" y1="\(f(height - bottom))" x2="\(f(width - right))" y2="\(f(height - bottom))"/>\
            <line class="axis" x1="\(f(left))" y1="\(f(top))" x2="\(f(left))" y2="\(f(height - bottom))"/>\
            <text class="tick" x="\(f(left - 6))" y="\(f(y(0) + 4))" text-anchor="end">0</text>\
            <text class="tick" x="\(f(left - 6))" y="\(f(y(Int64(maxValue)) + 4))" text-anchor="end">\(groupedDigits(Int64(maxValue)))</text>\
            <text class="tick" x="\(f(left))" y="\(f(height - 10))">\(start.utcDate)</text>\
            <text class="tick" x="\(f(width - right))" y="\(f(height - 10))" text-anchor="end">\(end.utcDate)</text>
            """
        if let threshold = series.threshold {
            svg += """
                <line class="threshold" x1="\(f(left))" y1="\(f(y(threshold)))" x2="\(f(width - right))" y2="\(f(y(threshold)))"/>\
                <text class="threshold-label" x="\(f(width - right))" y="\(f(y(threshold) - 4))" text-anchor="end">needed: \(groupedDigits(threshold))</text>
                """
        }
        svg += "<path class=\"series\" d=\"\(path)\"/>"
        if let satisfied = series.satisfiedAt, satisfied >= start {
            let value = series.points.last { $0.at <= satisfied }?.value ?? last
            svg += """
                <circle class="satisfied" cx="\(f(x(satisfied)))" cy="\(f(y(value)))" r="5"/>\
                <text class="satisfied-label" x="\(f(x(satisfied)))" y="\(f(y(value) - 9))" text-anchor="middle">satisfied \(satisfied.utcDate)</text>
                """
        }
        return svg + "</svg>"
    }
}

private extension String {
    /// "12345" (tenths) → "1234.5": fixed one decimal without Foundation formatting.
    var withDecimal: String {
        let negative = hasPrefix("-")
        var digits = negative ? String(dropFirst()) : self
        while digits.count < 2 { digits = "0" + digits }
        return (negative ? "-" : "") + digits.dropLast() + "." + digits.suffix(1)
    }
}

enum Html {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
