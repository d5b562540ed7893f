import AccordDomain
import AccordEventStore
import AccordService
import AccordTime
import Foundation

/// A process report a person would rather look at than read: one self-contained HTML page (inline CSS and
/// SVG, no external resources, printable to PDF) with the process and its pinned rules, each rule's figures over
/// time with the moment it was satisfied, the party × stage matrix with dates and sources, and the full
/// timeline with corrections beside what they correct. All user text is escaped.
public enum ProcessReport {
    public static let mediaType = "text/html; charset=utf-8"

    public static func render(_ id: ProcessID, service: AccordService, asOf: Instant, cutoff: KnowledgeCutoff) async throws(ServiceError) -> String {
        let queries = service.queries
        let detail = try await queries.detail(id, asOf: asOf, cutoff: cutoff)
        let matrix = try await queries.matrix(id, asOf: asOf, cutoff: cutoff)
        let timeline = try await queries.timeline(id, cutoff: cutoff)
        let evaluation = try await queries.results(id, asOf: asOf, cutoff: cutoff)
        let view = await queries.view(knownAt: cutoff)
        let process = try queries.requireProcess(id, in: view)
        var dependencies: [ProcessID: DependencyTimeline] = [:]
        for rule in process.definition.rules {
            if case .dependency(let d) = rule.condition, d.process != id,
               let other = await queries.evaluation(d.process, in: view, asOf: asOf, cutoff: cutoff) {
                dependencies[d.process] = other.dependencyTimeline
            }
        }
        let series = figureSeries(process, registry: view.registry, dependencies: dependencies, asOf: asOf, evaluation: evaluation)
        var chainHash: String?
        if view.position > 0, let event = try? await service.store.readAll(after: view.position - 1, limit: 1).first {
            chainHash = event.chainHash.hex
        }
        let page = Page(detail: detail, matrix: matrix, timeline: timeline, evaluation: evaluation, series: series,
                        start: min(process.openedAt, series.flatMap { $0.points.map(\.0) }.min() ?? process.openedAt),
                        asOf: asOf, cutoff: cutoff, chainHash: chainHash, generatedAt: service.clock.now())
        return page.html()
    }

    /// Each rule's first numeric figure at every effective instant where the process could change.
    static func figureSeries(_ process: ProcessState, registry: Registry, dependencies: [ProcessID: DependencyTimeline], asOf: Instant,
                             evaluation: ProcessEvaluation) -> [FigureSeries] {
        let instants = Set(ProcessEvaluator.candidateInstants(process, registry: registry, dependencies: dependencies).filter { $0 <= asOf }).sorted()
        var byRule: [RuleID: FigureSeries] = [:]
        var order: [RuleID] = []
        var walk = SnapshotWalk(process: process, registry: registry)
        for t in instants {
            let results = RuleEvaluator(snapshot: walk.snapshot(at: t), dependencies: dependencies).evaluateAll()
            for result in results {
                guard let figure = primaryFigure(result), let value = FigureSeries.number(figure.value) else { continue }
                var series = byRule[result.rule] ?? {
                    order.append(result.rule)
                    var isShare = false
                    if case .share = figure.value { isShare = true }
                    return FigureSeries(rule: result.rule, label: result.label, figureLabel: figure.label, points: [], threshold: nil,
                                        thresholdText: nil, isShare: isShare, marks: [])
                }()
                if series.points.last?.1 != value { series.points.append((t, value, figure.text)) }
                if let threshold = figure.threshold, let number = FigureSeries.number(threshold) {
                    series.threshold = number
                    series.thresholdText = "needs " + FigureSeries.axisLabel(number, share: series.isShare)
                }
                byRule[result.rule] = series
            }
        }
        for transition in evaluation.transitions where transition.to == .satisfied || (transition.to == .failed && transition.from != nil) {
            byRule[transition.rule]?.marks.append((transition.at, transition.to))
        }
        return order.compactMap { byRule[$0] }
    }

    /// The figure a rule's chart follows: for role coverage the number of components with a lead (its figures
    /// are one per component), otherwise its first numeric figure.
    static func primaryFigure(_ result: RuleResult) -> RuleFigure? {
        if result.kind == .roleCoverage, !result.figures.isEmpty {
            let led = Int64(result.figures.filter { $0.met == true }.count)
            return RuleFigure(key: "components-led", label: "components with a lead nation", value: .count(led),
                              total: Int64(result.figures.count), threshold: .count(Int64(result.figures.count)),
                              met: led == Int64(result.figures.count), text: "\(led) of \(result.figures.count) components led")
        }
        return result.figures.first { FigureSeries.number($0.value) != nil }
    }

    struct Page {
        let detail: ProcessDetail
        let matrix: StatusMatrix
        let timeline: [TimelineEntry]
        let evaluation: ProcessEvaluation
        let series: [FigureSeries]
        let start: Instant
        let asOf: Instant
        let cutoff: KnowledgeCutoff
        let chainHash: String?
        let generatedAt: Instant

        func html() -> String {
            let e = HTML.escape
            let summary = detail.summary
            var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            h += "<title>\(e(summary.title)) — Accord report</title><style>\(Self.css)</style></head><body>"
            h += "<header><p class=\"kicker\">Accord process report</p><h1>\(e(summary.title))</h1><dl class=\"facts\">"
            if let reference = summary.reference { h += fact("Reference", e(reference)) }
            h += fact("Template", "\(e(summary.template.name)) <span class=\"muted\">(\(e(summary.template.id.rawValue)) v\(summary.template.version), pinned at opening; content hash \(e(String(summary.template.contentHash.prefix(16))))…)</span>")
            h += fact("Opened", day(summary.openedAt))
            if let closed = summary.closedAt { h += fact("Closed", day(closed)) }
            h += fact("Electorate", "\(summary.electorateSize) parties")
            h += fact("State as of", e(asOf.iso8601))
            h += fact("As known at", e(knownAt) + " (log position \(detail.knownAtPosition))")
            if let decision = summary.decision {
                h += fact("Decision", "\(badge(decision.status)) \(e(decision.label)): \(e(decision.headline))")
            }
            h += "</dl>"
            if !detail.description.isEmpty { h += "<p class=\"description\">\(e(detail.description))</p>" }
            h += "</header>"

            h += "<section><h2>Rules</h2><table class=\"rules\"><thead><tr><th>Rule</th><th>Kind</th><th>Status</th><th>Where it stands</th><th>Since</th><th>Decided by</th></tr></thead><tbody>"
            for spec in detail.rules {
                guard let result = detail.results.first(where: { $0.rule == spec.id }) else { continue }
                let decisive = spec.id == evaluation.decision ? " <span class=\"muted\">(decision)</span>" : ""
                var blockers = ""
                if !result.blockers.isEmpty {
                    let shown = result.blockers.prefix(6).map { e($0.detail) }.joined(separator: "; ")
                    blockers = "<div class=\"blockers\">Held back: \(shown)\(result.blockers.count > 6 ? "; and \(result.blockers.count - 6) more" : "")</div>"
                }
                h += "<tr><td><strong>\(e(spec.label))</strong>\(decisive)" + (spec.description.map { "<div class=\"muted\">\(e($0))</div>" } ?? "")
                h += "</td><td>\(e(result.kind.rawValue))</td><td>\(badge(result.status))</td><td>\(e(result.headline))\(blockers)</td>"
                h += "<td>\(result.since.map(day) ?? "")</td><td>\(result.decidedBy.map { e($0.summary) } ?? "")</td></tr>"
            }
            h += "</tbody></table></section>"

            if !series.isEmpty {
                h += "<section><h2>Figures over time</h2>"
                for s in series {
                    let last = s.points.last.map { e($0.2) } ?? ""
                    h += "<figure class=\"chart-box\"><figcaption><strong>\(e(s.label))</strong> — \(e(s.figureLabel)): \(last)</figcaption>"
                    h += s.svg(from: start, to: asOf) + "</figure>"
                }
                h += "</section>"
            }

            h += matrixSection()
            h += timelineSection()
            h += "<footer>Generated by Accord at \(e(generatedAt.iso8601)) from the event log up to position \(detail.knownAtPosition)"
            if let chainHash { h += ", whose chain hash is <code>\(e(chainHash))</code> (check it against a signed checkpoint or an export with <code>accord verify</code>)" }
            h += ".</footer></body></html>\n"
            return h
        }

        var knownAt: String {
            switch cutoff {
            case .everything: "everything recorded"
            case .position(let p): "log position \(p)"
            case .recordedAt(let t): t.iso8601
            }
        }

        func fact(_ name: String, _ value: String) -> String { "<div><dt>\(HTML.escape(name))</dt><dd>\(value)</dd></div>" }

        func day(_ t: Instant) -> String { "<time datetime=\"\(t.iso8601)\">\(t.utcDate.iso8601)</time>" }

        func badge(_ status: RuleStatus) -> String { "<span class=\"badge \(status.rawValue)\">\(HTML.escape(status.label))</span>" }

        func matrixSection() -> String {
            let e = HTML.escape
            var sources: [String] = []
            func footnote(_ source: String?) -> String {
                guard let source, !source.isEmpty else { return "" }
                let index = (sources.firstIndex(of: source) ?? { sources.append(source); return sources.count - 1 }()) + 1
                return "<sup><a href=\"#src-\(index)\">[\(index)]</a></sup>"
            }
            let usedStages = matrix.stages.filter { stage in matrix.rows.contains { row in row.cells.contains { $0.stage == stage.id && $0.since != nil } } }
            let hasPledges = matrix.rows.contains { $0.pledge != nil }
            let hasBallots = matrix.rows.contains { $0.ballot != nil } || !detail.ballotPositions.isEmpty
            var h = "<section><h2>Parties and stages</h2><p class=\"muted\">Effective dates of each stage as of \(asOf.utcDate.iso8601); a struck-through date is a stage no longer held; numbers refer to the sources below.</p>"
            h += "<table class=\"matrix\"><thead><tr><th>Party</th><th>Current</th>"
            for stage in usedStages { h += "<th>\(e(stage.label))</th>" }
            if hasPledges { h += "<th>Pledge</th>" }
            if hasBallots { h += "<th>Ballot</th>" }
            h += "</tr></thead><tbody>"
            for row in matrix.rows {
                let out = row.inElectorate ? "" : " <span class=\"muted\">(not an elector)</span>"
                h += "<tr><th scope=\"row\">\(e(row.party.rawValue)) <span class=\"muted\">\(e(row.name))</span>\(out)</th>"
                h += "<td>\(row.currentStage.map { s in e(matrix.stages.first { $0.id == s }?.label ?? s.rawValue) } ?? "<span class=\"muted\">—</span>")</td>"
                for stage in usedStages {
                    guard let cell = row.cells.first(where: { $0.stage == stage.id }), let since = cell.since else {
                        h += "<td></td>"
                        continue
                    }
                    let title = cell.note.map { " title=\"\(e($0))\"" } ?? ""
                    let date = cell.held ? since.utcDate.iso8601 : "<s>\(since.utcDate.iso8601)</s>"
                    h += "<td class=\"held\"\(title)>\(date)\(footnote(cell.source))</td>"
                }
                if hasPledges {
                    if let pledge = row.pledge {
                        var text = groupedDigits(pledge.troops) + " troops"
                        if !pledge.conditions.isEmpty { text += "; if " + pledge.conditions.joined(separator: ", ") }
                        h += "<td>\(e(text))</td>"
                    } else {
                        h += "<td></td>"
                    }
                }
                if hasBallots {
                    h += "<td>" + (row.ballot.map { "\(e($0.position.label)) <span class=\"muted\">\($0.since.utcDate.iso8601)</span>\(footnote($0.source))" } ?? "") + "</td>"
                }
                h += "</tr>"
            }
            h += "</tbody></table>"
            if !sources.isEmpty {
                h += "<ol class=\"sources\">"
                for (i, source) in sources.enumerated() { h += "<li id=\"src-\(i + 1)\">\(HTML.source(source))</li>" }
                h += "</ol>"
            }
            return h + "</section>"
        }

        func timelineSection() -> String {
            let e = HTML.escape
            var amendments: [EntryID: [TimelineEntry]] = [:]
            let ids = Set(timeline.map(\.entry))
            for entry in timeline where entry.kind == .correction || entry.kind == .retraction {
                if let concerns = entry.concerns, ids.contains(concerns) { amendments[concerns, default: []].append(entry) }
            }
            var h = "<section><h2>Timeline</h2><p class=\"muted\">Every entry in the order it was recorded, with who recorded it. Corrections and retractions appear beside the entry they amend; nothing is ever edited.</p>"
            h += "<table class=\"timeline\"><thead><tr><th>#</th><th>Effective</th><th>Recorded</th><th>By</th><th>Entry</th></tr></thead><tbody>"
            func row(_ entry: TimelineEntry, amendment: Bool) -> String {
                var classes: [String] = [entry.kind.rawValue]
                if amendment { classes.append("amendment") }
                if entry.retractedBy != nil { classes.append("retracted") }
                if !entry.correctedBy.isEmpty { classes.append("corrected") }
                var text = amendment ? "<span class=\"arrow\">↳ \(entry.kind == .correction ? "corrected" : "retracted"):</span> " : ""
                text += e(entry.summary)
                if let reason = entry.reason { text += "<div class=\"reason\">Reason: \(e(reason))</div>" }
                if let note = entry.note { text += "<div class=\"note\">\(e(note))</div>" }
                if let source = entry.source { text += "<div class=\"source\">Source: \(HTML.source(source))</div>" }
                if entry.retractedBy != nil { text += "<div class=\"flag\">retracted</div>" }
                if !entry.correctedBy.isEmpty { text += "<div class=\"flag\">corrected (see below)</div>" }
                return "<tr class=\"\(classes.joined(separator: " "))\"><td class=\"pos\">\(entry.position)</td><td>\(day(entry.effectiveAt))</td>"
                    + "<td class=\"recorded\">\(e(String(entry.recordedAt.iso8601.prefix(19)).replacingOccurrences(of: "T", with: " ")))</td>"
                    + "<td>\(e(entry.actor.name))</td><td>\(text)</td></tr>"
            }
            for entry in timeline {
                if entry.kind == .correction || entry.kind == .retraction, let concerns = entry.concerns, ids.contains(concerns) { continue }
                h += row(entry, amendment: false)
                for amendment in amendments[entry.entry] ?? [] { h += row(amendment, amendment: true) }
            }
            return h + "</tbody></table></section>"
        }

        static let css = """
            :root{--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--accent:#1f5fae;--ok:#1d7a46;--bad:#b42318;--wait:#8a6100;--bg:#f6f7f9}
            *{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);margin:0 auto;max-width:1100px;padding:28px 32px;background:#fff}
            h1{font-size:26px;margin:2px 0 14px}h2{font-size:18px;margin:30px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--ink)}
            .kicker{text-transform:uppercase;letter-spacing:.08em;font-size:11px;color:var(--muted);margin:0}
            .facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:4px 24px;margin:0}.facts div{display:flex;gap:8px}
            .facts dt{color:var(--muted);min-width:92px}.facts dd{margin:0}.description{color:var(--muted);max-width:780px}
            .muted{color:var(--muted);font-weight:normal}table{border-collapse:collapse;width:100%;font-size:13px}
            th,td{border-bottom:1px solid var(--line);padding:5px 7px;text-align:left;vertical-align:top}thead th{background:var(--bg);font-size:12px}
            .badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
            .badge.satisfied{background:var(--ok)}.badge.not-yet{background:var(--wait)}.badge.failed{background:var(--bad)}.badge.not-applicable{background:#8891a0}
            .blockers{color:var(--muted);font-size:12px;margin-top:2px}
            .chart-box{margin:10px 0 18px;break-inside:avoid}.chart-box figcaption{margin-bottom:4px}.chart{width:100%;height:auto;display:block}
            .chart .grid{stroke:#eceff4}.chart .axis{stroke:#9aa3b2}.chart .tick{fill:var(--muted);font-size:11px}
            .chart .series{fill:none;stroke:var(--accent);stroke-width:2.2}.chart .point{fill:var(--accent)}
            .chart .threshold{stroke:var(--bad);stroke-dasharray:6 4;stroke-width:1.4}.chart .threshold-label{fill:var(--bad);font-size:11px}
            .chart .mark-satisfied{stroke:var(--ok);stroke-width:1.6}.chart .mark-satisfied-label{fill:var(--ok);font-size:11px;font-weight:600}
            .chart .mark-failed{stroke:var(--bad);stroke-width:1.6}.chart .mark-failed-label{fill:var(--bad);font-size:11px;font-weight:600}
            .matrix{font-size:12px}.matrix td.held{background:#eaf4ee;white-space:nowrap}.matrix th[scope=row]{white-space:nowrap}
            .sources{font-size:12px;color:var(--muted);padding-left:22px}
            .timeline .pos{color:var(--muted);font-variant-numeric:tabular-nums}.timeline td:nth-child(2),.rules td:nth-child(5),time{white-space:nowrap}.timeline .recorded{white-space:nowrap;color:var(--muted)}
            .timeline .note,.timeline .reason,.timeline .source{color:var(--muted);font-size:12px}.timeline .flag{color:var(--bad);font-size:12px;font-weight:600}
            .timeline tr.amendment td{background:#fff8e6}.timeline tr.amendment td:last-child{padding-left:22px}.arrow{font-weight:600}
            .timeline tr.retracted td:last-child{text-decoration:line-through;text-decoration-color:var(--bad)}
            footer{margin-top:28px;padding-top:8px;border-top:1px solid var(--line);color:var(--muted);font-size:12px;word-break:break-all}
            code{font-size:11px}
            @media print{body{padding:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}a{color:inherit;text-decoration:none}}
            @page{size:A4;margin:14mm}
            """
    }
}
