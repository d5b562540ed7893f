import AccordDomain
import AccordEventStore
import AccordService
import Foundation

/// Builds the pages' view models from the service's queries.
struct PageBuilder: Sendable {
    let service: AccordService

    func chrome(title: String, session: WebSession?, time: TimeChoice, notice: String? = nil) -> Chrome {
        Chrome(
            title: title,
            user: session.map { UserView(name: $0.principal.account.name, role: $0.principal.account.role.rawValue, csrf: $0.csrf) },
            notice: notice, asOf: time.asOfText, knownAt: time.knownAtText, historical: time.isHistorical,
            historicalText: time.isHistorical ? time.description : nil, timeQuery: time.query)
    }

    static func date(_ instant: Instant) -> String { instant.utcDate.iso8601 }

    static func dateTime(_ instant: Instant) -> String {
        let text = instant.iso8601
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + " UTC"
    }

    // MARK: Process list

    func processList(session: WebSession?, time: TimeChoice, notice: String?) async -> ProcessListPage {
        let processes = await service.queries.processes(asOf: time.asOf, cutoff: time.cutoff)
        let rows = processes.reversed().map { p in
            ProcessRow(
                href: "/processes/\(p.id)" + time.query, title: p.title, reference: p.reference, template: p.template.name,
                opened: Self.date(p.openedAt), closed: p.closedAt.map(Self.date),
                decision: p.decision.map { RuleBadge(label: $0.label, status: StatusView($0.status), headline: $0.headline) },
                rules: p.rules.filter { $0.rule != p.decision?.rule }.map { RuleBadge(label: $0.label, status: StatusView($0.status), headline: $0.headline) })
        }
        return ProcessListPage(page: chrome(title: "Processes", session: session, time: time, notice: notice), processes: rows, empty: rows.isEmpty)
    }

    // MARK: Process page

    /// The newest entries the process page lists unless asked for all (`?entries=all`): a process that has
    /// thousands would make a page of megabytes.
    static let timelineLength = 100

    func processPage(_ id: ProcessID, session: WebSession?, time: TimeChoice, notice: String?, formProblem: FormProblem?,
                     whatIf: WhatIfView? = nil, allEntries: Bool = false) async throws -> ProcessPage {
        let detail = try await service.queries.detail(id, asOf: time.asOf, cutoff: time.cutoff)
        let matrix = try await service.queries.matrix(id, asOf: time.asOf, cutoff: time.cutoff)
        let timeline = try await service.queries.timeline(id, cutoff: time.cutoff)
        let progress = try await service.queries.progress(id, asOf: time.asOf, cutoff: time.cutoff)
        let view = await service.queries.view(knownAt: time.cutoff)
        let process = try service.queries.requireProcess(id, in: view)
        let summary = detail.summary

        let transitions = try await service.queries.results(id, asOf: time.asOf, cutoff: time.cutoff).transitions
        let rules = detail.results.map { r in
            // "Not yet since the process began" says nothing: show the date only once the rule has moved.
            let moved = r.status == .satisfied || r.status == .failed || transitions.filter { $0.rule == r.rule }.count > 1
            return RuleView(id: r.rule.rawValue, label: r.label, status: StatusView(r.status), headline: r.headline, figures: r.figures.map(\.text),
                            blockers: r.blockers.map(\.detail), hasBlockers: !r.blockers.isEmpty,
                            since: moved ? r.since.map(Self.date) : nil, decidedBy: moved ? r.decidedBy?.summary : nil,
                            isDecision: r.rule == process.definition.decision)
        }
        let start = progress.flatMap(\.points).map(\.at).min() ?? process.openedAt
        let charts = progress.map { series in
            ChartView(svg: ChartRenderer.svg(series, from: start, to: time.asOf), label: series.label,
                      rows: series.points.map { ChartRow(date: Self.date($0.at), value: groupedDigits($0.value), status: StatusView($0.status).text) })
        }
        let editable = session.map { $0.principal.may(.record(nil)) || $0.principal.account.role == .delegate } ?? false
        // Newest first. A refused correction is explained at its entry, so that entry is always shown.
        let newestFirst = timeline.reversed()
        let concerned = formProblem.flatMap { $0.form == "amend" ? $0.values["entry"] : nil }
        let showAll = allEntries || concerned.map { entry in !newestFirst.prefix(Self.timelineLength).contains { $0.entry.description == entry } } ?? false
        let shown = showAll ? newestFirst[...] : newestFirst.prefix(Self.timelineLength)
        return ProcessPage(
            page: chrome(title: summary.title, session: session, time: time, notice: notice),
            id: id.description, title: summary.title, reference: summary.reference,
            template: "\(summary.template.name) (version \(summary.template.version))",
            opened: Self.date(summary.openedAt), closed: summary.closedAt.map(Self.date), version: summary.version,
            description: detail.description, electorateSize: summary.electorateSize,
            deadlines: detail.deadlines.map { DeadlineItem(label: $0.label, text: "\($0.localTime) \($0.timeZone) (\(Self.dateTime($0.at)))", passed: $0.passed) },
            rules: rules, charts: charts, hasCharts: !charts.isEmpty,
            matrix: matrixView(matrix, process: process, time: time),
            timeline: timelineView(Array(shown), process: process, session: session, problem: formProblem),
            timelineMore: shown.count < timeline.count
                ? TimelineMore(total: groupedDigits(Int64(timeline.count)), hidden: groupedDigits(Int64(timeline.count - shown.count)),
                               href: "/processes/\(id)" + time.query + (time.query.isEmpty ? "?" : "&") + "entries=all#timeline-heading")
                : nil,
            forms: editable && !time.isHistorical ? forms(process, registry: view.registry, session: session, problem: formProblem) : nil,
            whatIf: whatIf,
            liveURL: time.isHistorical ? nil : "/v1/stream?process=\(id)&types=*")
    }

    func matrixView(_ matrix: StatusMatrix, process: ProcessState, time: TimeChoice) -> MatrixView {
        // Negative outcomes (declined, withdrawn, revoked) show in the "Current" column, not as columns of their own.
        let progress = Set(matrix.stages.filter { $0.outcome == .progress }.map(\.id))
        let rows = matrix.rows.map { row -> MatrixRowView in
            let cells = row.cells.filter { progress.contains($0.stage) }.map { cell -> CellView in
                let stage = process.definition.stage(cell.stage)
                let negative = stage?.outcome == .negative
                var detail: [String] = []
                if let since = cell.since { detail.append(Self.date(since)) }
                if let source = cell.source { detail.append("Source: \(source)") }
                if let note = cell.note { detail.append(note) }
                if let expired = cell.expired {
                    return CellView(text: "expired \(expired)", cssClass: "expired", detail: (["Mandate ended \(expired)"] + detail).joined(separator: " · "), hasDetail: true)
                }
                guard cell.held, let since = cell.since else {
                    return CellView(text: "—", cssClass: "empty", detail: nil, hasDetail: false)
                }
                return CellView(text: (negative ? "✗ " : "✓ ") + Self.date(since), cssClass: negative ? "negative" : "held",
                                detail: detail.joined(separator: " · "), hasDetail: !detail.isEmpty)
            }
            var pledge: String?
            if let p = row.pledge {
                pledge = "\(groupedDigits(p.troops)) troops"
                    + (p.capabilities.isEmpty ? "" : " · " + p.capabilities.map { $0.component.rawValue + ($0.lead ? " (lead)" : "") }.joined(separator: ", "))
                    + (p.conditions.isEmpty ? "" : " · if " + p.conditions.joined(separator: "; "))
            }
            let currentStage = row.currentStage.flatMap { process.definition.stage($0) }
            let negative = currentStage?.outcome == .negative
            let current = currentStage.map { (negative ? "✗ " : "") + $0.label + (row.currentSince.map { " (\(Self.date($0)))" } ?? "") } ?? "no step yet"
            return MatrixRowView(
                party: row.party.rawValue, name: row.name, href: "/parties/\(row.party)" + time.query, current: current, currentNegative: negative,
                outOfElectorate: !row.inElectorate, cells: cells, pledge: pledge,
                ballot: row.ballot.map { $0.position.label + ($0.statement.map { ": \($0)" } ?? "") + " (\(Self.date($0.since)))" })
        }
        return MatrixView(columns: matrix.stages.filter { $0.outcome == .progress }.map { ColumnView(label: $0.label, negative: false) }, rows: rows,
                          hasColumns: !matrix.stages.isEmpty, hasPledges: rows.contains { $0.pledge != nil },
                          hasBallots: process.definition.ballot != nil)
    }

    func timelineView(_ entries: [TimelineEntry], process: ProcessState, session: WebSession?, problem: FormProblem?) -> [TimelineItem] {
        // A refused correction or retraction is explained at the entry it concerns, its form open.
        let amendProblem = problem.flatMap { $0.form == "amend" ? $0 : nil }
        return entries.map { e in
            let amendable: Bool = {
                guard let session, e.retractedBy == nil else { return false }
                switch e.kind {
                case .step, .ballot, .ballotWithdrawn: return session.principal.may(.record(e.party))
                case .deadlineSet, .deadlineExtended, .closed: return session.principal.may(.manageProcesses)
                default: return false
                }
            }()
            let step = process.steps[e.entry]?.current
            return TimelineItem(
                id: e.entry.description, effective: Self.date(e.effectiveAt), recorded: Self.dateTime(e.recordedAt), actor: e.actor.name,
                summary: e.summary, source: e.source, note: e.note, kind: e.kind.rawValue, retracted: e.retractedBy != nil,
                retractionText: e.retractedBy.map { "retracted by entry \($0.description.prefix(8))" }, corrections: e.correctedBy.map { "corrected by entry \($0.description.prefix(8))" },
                concerns: e.concerns.map { String($0.description.prefix(8)) }, reason: e.reason, amendable: amendable,
                correctable: amendable && e.kind == .step, party: e.party?.rawValue, stage: step?.content.stage.rawValue,
                date: Self.date(step?.effectiveAt ?? e.effectiveAt), processID: process.id.description, csrf: session?.csrf ?? "",
                amendError: amendProblem.flatMap { $0.values["entry"] == e.entry.description ? $0.errors.values.first : nil })
        }
    }

    func forms(_ process: ProcessState, registry: Registry, session: WebSession?, problem: FormProblem?) -> FormsView? {
        guard let session else { return nil }
        let now = service.clock.now()
        let snapshot = ProcessSnapshot(process: process, registry: registry, asOf: now)
        let parties = snapshot.electorate.filter { session.principal.may(.record($0)) }
        guard !parties.isEmpty, snapshot.closedAt == nil else { return nil }
        let values = problem?.values
        let partyOptions = parties.map { code -> OptionView in
            let allowed = process.definition.allowedNextStages(after: snapshot.standing(of: code).currentStage)
            return OptionView(value: code.rawValue, label: "\(registry.parties[code]?.name ?? code.rawValue) (\(code))",
                              selected: values?["party"] == code.rawValue, data: allowed.map(\.rawValue).joined(separator: " "))
        }
        let stageOptions = process.definition.stages.map {
            OptionView(value: $0.id.rawValue, label: $0.label, selected: values?["stage"] == $0.id.rawValue, data: $0.kind.rawValue)
        }
        let positions = (process.definition.ballot?.positions ?? []).map {
            OptionView(value: $0.rawValue, label: $0.label, selected: values?["position"] == $0.rawValue, data: "")
        }
        var formValues: [String: String] = [:]
        for key in ["occurredAt", "source", "note", "troops", "conditions", "caveats", "troopsDeployed", "location", "chamber", "votesFor",
                    "votesAgainst", "abstaining", "maxTroops", "area", "endDate", "troopsWithdrawn", "reason", "statement"] {
            formValues[key] = values?.values[key]?.first ?? ""
        }
        var errors: [String: FieldError] = [:]
        for (field, message) in problem?.errors ?? [:] { errors[field] = FieldError(message: message) }
        return FormsView(
            csrf: session.csrf, action: "/processes/\(process.id)", parties: partyOptions, stages: stageOptions, hasStages: !stageOptions.isEmpty,
            positions: positions, hasBallot: !positions.isEmpty,
            components: CapabilityComponent.allCases.map {
                OptionView(value: $0.rawValue, label: $0 == .isr ? "ISR" : $0.rawValue.capitalized, selected: values?.all("components").contains($0.rawValue) ?? false,
                           data: "", lead: values?.all("lead").contains($0.rawValue) ?? false)
            },
            procedures: ParliamentaryDetails.Procedure.allCases.map {
                OptionView(value: $0.rawValue, label: $0.rawValue.replacingOccurrences(of: "-", with: " ").capitalized, selected: values?["procedure"] == $0.rawValue, data: "")
            },
            open: problem?.form, errors: errors, values: formValues, formError: problem?.errors["form"])
    }

    // MARK: Parties

    func partyPage(_ code: PartyCode, session: WebSession?, time: TimeChoice) async throws -> PartyPage {
        let party = try await service.queries.party(code, asOf: time.asOf, cutoff: time.cutoff)
        return PartyPage(
            page: chrome(title: party.name, session: session, time: time), code: code.rawValue, name: party.name,
            population: party.population.map(groupedDigits), parliamentaryStep: party.parliamentaryStep?.rawValue.replacingOccurrences(of: "-", with: " "),
            needsVote: party.deploymentNeedsParliamentVote ? "yes" : "no",
            memberships: party.memberships.map {
                MembershipItem(body: $0.name, period: "since \(Self.date($0.joined))" + ($0.left.map { " until \(Self.date($0))" } ?? ""),
                               roles: $0.roles.isEmpty ? nil : $0.roles.joined(separator: ", "))
            },
            processes: party.processes.map { p in
                PartyProcessRow(
                    href: "/processes/\(p.process.id)" + time.query, title: p.process.title, stage: p.currentStageLabel ?? "no step yet",
                    since: p.since.map(Self.date),
                    pledge: p.pledge.map { "\(groupedDigits($0.troops)) troops" + ($0.conditions.isEmpty ? "" : " (if " + $0.conditions.joined(separator: "; ") + ")") },
                    ballot: p.ballot.map { $0.position.label }, blocking: p.blocking,
                    decision: p.process.decision.map { RuleBadge(label: $0.label, status: StatusView($0.status), headline: $0.headline) },
                    inElectorate: p.inElectorate)
            })
    }

    func partyList(session: WebSession?, time: TimeChoice) async -> PartyListPage {
        let parties = await service.queries.parties(asOf: time.asOf, cutoff: time.cutoff)
        return PartyListPage(page: chrome(title: "Parties", session: session, time: time), parties: parties.map {
            PartyListRow(code: $0.party.rawValue, name: $0.name, href: "/parties/\($0.party)" + time.query,
                         parliamentaryStep: $0.parliamentaryStep?.rawValue.replacingOccurrences(of: "-", with: " "))
        })
    }
}

/// The page's "as of" and "as known at" choice, from the query string.
struct TimeChoice: Sendable, CustomStringConvertible {
    var asOf: Instant
    var cutoff: KnowledgeCutoff
    var asOfText: String
    var knownAtText: String
    var isHistorical: Bool

    var query: String {
        var items: [String] = []
        if !asOfText.isEmpty { items.append("asOf=\(asOfText)") }
        if !knownAtText.isEmpty { items.append("knownAt=\(knownAtText)") }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }

    var description: String {
        var parts: [String] = []
        if !asOfText.isEmpty { parts.append("as of \(asOfText)") }
        if !knownAtText.isEmpty { parts.append("as known at \(knownAtText)") }
        return "Showing the state " + parts.joined(separator: ", ")
    }
}
