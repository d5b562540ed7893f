import AccordDomain
import AccordTime

/// One rule's main figure over effective time, drawn as an inline SVG step chart with its threshold and the
/// moments the rule was satisfied (or failed) marked.
struct FigureSeries: Sendable {
    var rule: RuleID
    var label: String
    var figureLabel: String
    /// (effective instant, value, the figure's text then).
    var points: [(Instant, Double, String)]
    var threshold: Double?
    var thresholdText: String?
    var isShare: Bool
    var marks: [(Instant, RuleStatus)]

    static func number(_ value: RuleFigure.Value) -> Double? {
        switch value {
        case .count(let n): Double(n)
        case .share(let r): r.denominator == 0 ? nil : Double(r.numerator) / Double(r.denominator) * 100
        case .date, .instant: nil
        }
    }

    func svg(from start: Instant, to end: Instant) -> String {
        let width = 760.0, height = 230.0, left = 64.0, right = 24.0, top = 18.0, bottom = 40.0
        let plotW = width - left - right, plotH = height - top - bottom
        let span = Double(max(1, end.microsecondsSinceEpoch - start.microsecondsSinceEpoch))
        func x(_ t: Instant) -> Double { left + Double(t.microsecondsSinceEpoch - start.microsecondsSinceEpoch) / span * plotW }
        let maxValue = max(points.map(\.1).max() ?? 0, threshold ?? 0, isShare ? 100 : 1)
        // Round steps (1, 2, 5 × 10^n, whole numbers for counts) so that every tick label is exact.
        let step = isShare ? 25 : Self.niceStep(maxValue * 1.08 / 4)
        let tickCount = isShare ? 4 : Int((maxValue * 1.08 / step).rounded(.up))
        let topValue = step * Double(max(1, tickCount))
        func y(_ v: Double) -> Double { top + plotH - v / topValue * plotH }
        func f(_ v: Double) -> String { format1(v) }
        var s = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(label)): \(HTML.escape(figureLabel)) over time\" xmlns=\"http://www.w3.org/2000/svg\">"
        // Axes and grid.
        for i in 0...max(1, tickCount) {
            let v = step * Double(i)
            s += "<line class=\"grid\" x1=\"\(f(left))\" y1=\"\(f(y(v)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(v)))\"/>"
            s += "<text class=\"tick\" x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(HTML.escape(Self.axisLabel(v, share: isShare)))</text>"
        }
        for i in 0...4 {
            let t = Instant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(Double(i) / 4 * span))
            let anchor = i == 0 ? "start" : i == 4 ? "end" : "middle"
            s += "<text class=\"tick\" x=\"\(f(x(t)))\" y=\"\(f(height - bottom + 18))\" text-anchor=\"\(anchor)\">\(t.utcDate.iso8601)</text>"
        }
        s += "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotH))\"/>"
        // Threshold.
        if let threshold {
            s += "<line class=\"threshold\" x1=\"\(f(left))\" y1=\"\(f(y(threshold)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(threshold)))\"/>"
            s += "<text class=\"threshold-label\" x=\"\(f(width - right - 4))\" y=\"\(f(y(threshold) - 5))\" text-anchor=\"end\">\(HTML.escape(thresholdText ?? "threshold"))</text>"
        }
        // The step line: each value holds until the next change.
        if let first = points.first {
            var d = "M\(f(x(start))) \(f(y(0))) H\(f(x(first.0))) V\(f(y(first.1)))"
            for p in points.dropFirst() { d += " H\(f(x(p.0))) V\(f(y(p.1)))" }
            d += " H\(f(x(end)))"
            s += "<path class=\"series\" d=\"\(d)\"/>"
            for p in points {
                s += "<circle class=\"point\" cx=\"\(f(x(p.0)))\" cy=\"\(f(y(p.1)))\" r=\"2.5\"><title>\(p.0.utcDate.iso8601): \(HTML.escape(p.2))</title></circle>"
            }
        }
        // When the rule changed status.
        for (t, status) in marks {
            let cls = status == .satisfied ? "mark-satisfied" : "mark-failed"
            let text = (status == .satisfied ? "satisfied " : "\(status.label) ") + t.utcDate.iso8601
            let anchor = x(t) > left + plotW * 0.7 ? "end" : "start"
            let dx = anchor == "end" ? -5.0 : 5.0
            s += "<line class=\"\(cls)\" x1=\"\(f(x(t)))\" y1=\"\(f(top))\" x2=\"\(f(x(t)))\" y2=\"\(f(top + plotH))\"/>"
            s += "<text class=\"\(cls)-label\" x=\"\(f(x(t) + dx))\" y=\"\(f(top + 12))\" text-anchor=\"\(anchor)\">\(HTML.escape(text))</text>"
        }
        s += "</svg>"
        return s
    }

    func format1(_ v: Double) -> String {
        let tenths = Int64((v * 10).rounded())
        let whole = tenths / 10, fraction = abs(tenths % 10)
        return fraction == 0 ? String(whole) : "\(whole).\(fraction)"
    }

    /// The smallest of 1, 2, 5 × 10^n (at least 1) not below `v`.
    static func niceStep(_ v: Double) -> Double {
        guard v > 1 else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= v { magnitude *= 10 }
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= v { return step * magnitude }
        return 10 * magnitude
    }

    static func axisLabel(_ v: Double, share: Bool) -> String {
        if share { return "\(Int(v.rounded()))%" }
        return groupedDigits(Int64(v.rounded()))
    }
}
