import AccordDomain
import AccordService
import Foundation

/// A submitted HTML form (`application/x-www-form-urlencoded`), with repeated keys kept.
struct FormData: Sendable {
    private(set) var values: [String: [String]] = [:]

    init(_ body: [UInt8]) {
        let text = String(decoding: body, as: UTF8.self)
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(String(parts[0]))
            let value = parts.count > 1 ? Self.decode(String(parts[1])) : ""
            values[key, default: []].append(value)
        }
    }

    init(values: [String: [String]]) { self.values = values }

    static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }

    /// The first value, trimmed; nil when absent or empty.
    subscript(_ key: String) -> String? {
        guard let value = values[key]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    func all(_ key: String) -> [String] { values[key] ?? [] }

    /// Non-empty lines of a text area.
    func lines(_ key: String) -> [String] {
        (self[key] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A form the page re-shows after a refusal: the field in error, a message in plain words, and what was typed.
struct FormProblem: Error, Sendable {
    var form: String
    var errors: [String: String]
    var values: FormData

    init(form: String, field: String, message: String, values: FormData) {
        self.form = form
        self.errors = [field: message]
        self.values = values
    }
}

/// Reads the fields of the record forms; a field that cannot be read is named with a plain explanation.
enum FormReader {
    static func party(_ form: FormData, formName: String) throws -> PartyCode {
        guard let text = form["party"], let party = PartyCode(text) else {
            throw FormProblem(form: formName, field: "party", message: "Choose a country.", values: form)
        }
        return party
    }

    /// `YYYY-MM-DD` (noon UTC, so the day is the same in Europe and the Americas) or `YYYY-MM-DDTHH:MM` (UTC).
    static func instant(_ form: FormData, _ field: String, formName: String) throws -> Instant? {
        guard let text = form[field] else { return nil }
        if let date = CivilDate(iso8601: text) { return Instant(startOf: date).adding(seconds: 12 * 3600) }
        if let instant = Instant(iso8601: text) ?? Instant(iso8601: text + ":00Z") ?? Instant(iso8601: text + "Z") { return instant }
        throw FormProblem(form: formName, field: field, message: "Enter a date such as 2025-04-10, or a date and time such as 2025-04-10T14:30.", values: form)
    }

    static func integer(_ form: FormData, _ field: String, formName: String, label: String) throws -> Int64? {
        guard let text = form[field]?.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: " ", with: "") else { return nil }
        guard let value = Int64(text) else {
            throw FormProblem(form: formName, field: field, message: "\(label) must be a whole number, such as 2500.", values: form)
        }
        return value
    }

    /// The details a stage of this kind carries, from the form's fieldsets.
    static func details(_ form: FormData, kind: StageDefinition.Kind, formName: String) throws -> StepDetails? {
        switch kind {
        case .plain:
            return nil
        case .pledge:
            let components = form.all("components").compactMap(CapabilityComponent.init(rawValue:))
            let leads = Set(form.all("lead").compactMap(CapabilityComponent.init(rawValue:)))
            return StepDetails(pledge: PledgeDetails(
                troops: try integer(form, "troops", formName: formName, label: "Troops") ?? 0,
                capabilities: components.map { CapabilityPledge(component: $0, lead: leads.contains($0)) },
                conditions: form.lines("conditions"), caveats: form.lines("caveats")))
        case .deployment:
            guard let troops = try integer(form, "troopsDeployed", formName: formName, label: "Troops deployed") else {
                throw FormProblem(form: formName, field: "troopsDeployed", message: "Enter how many troops are deployed.", values: form)
            }
            return StepDetails(deployment: DeploymentDetails(troopsDeployed: troops, location: form["location"] ?? ""))
        case .parliamentary:
            let procedure = form["procedure"].flatMap(ParliamentaryDetails.Procedure.init(rawValue:)) ?? .vote
            let end: CivilDate?
            if let text = form["endDate"] {
                guard let date = CivilDate(iso8601: text) else {
                    throw FormProblem(form: formName, field: "endDate", message: "Enter the mandate's last day as a date, such as 2026-12-31.", values: form)
                }
                end = date
            } else {
                end = nil
            }
            let maxTroops = try integer(form, "maxTroops", formName: formName, label: "Maximum troops")
            let area = form["area"]
            let mandate = maxTroops == nil && area == nil && end == nil ? nil : Mandate(maxTroops: maxTroops, area: area, endDate: end)
            return StepDetails(parliamentary: ParliamentaryDetails(
                chamber: form["chamber"] ?? "", procedure: procedure,
                votesFor: try integer(form, "votesFor", formName: formName, label: "Votes for"),
                votesAgainst: try integer(form, "votesAgainst", formName: formName, label: "Votes against"),
                abstaining: try integer(form, "abstaining", formName: formName, label: "Abstentions"), mandate: mandate))
        case .withdrawal:
            return StepDetails(withdrawal: WithdrawalDetails(
                troopsWithdrawn: try integer(form, "troopsWithdrawn", formName: formName, label: "Troops withdrawn"), reason: form["reason"]))
        }
    }
}

/// Domain refusals in words a non-engineer understands, attached to the field they concern.
enum PlainWords {
    static func explain(_ error: DomainError, registry: Registry, template: ProcessTemplate?) -> (field: String, message: String) {
        func name(_ party: PartyCode) -> String { registry.parties[party]?.name ?? party.rawValue }
        func stage(_ id: StageID) -> String { "“" + (template?.stage(id)?.label ?? id.rawValue) + "”" }
        switch error {
        case .unknownParty(let p): return ("party", "\(p) is not a registered country.")
        case .partyNotInElectorate(let p, let date, _): return ("party", "\(name(p)) does not take part in this process on \(date).")
        case .partyIsOut(let p, let s): return ("party", "\(name(p)) reached a final outcome (\(stage(s))): nothing more can be recorded for it.")
        case .unknownStage: return ("stage", "Choose one of the stages this process uses.")
        case let .transitionNotAllowed(party, from, to, allowed, _):
            let after = from.map { "after \(stage($0))" } ?? "as a first step"
            let next = allowed.isEmpty ? "no further step is possible." : "the next step can be " + allowed.map(stage).joined(separator: ", ") + "."
            return ("stage", "\(name(party)) cannot record \(stage(to)) \(after): \(next)")
        case let .requirementNotMet(party, s, requires, _):
            return ("stage", "\(name(party)) needs \(stage(requires)) before \(stage(s)) — its law requires it. Record that first.")
        case .detailsRequired(let s, _): return ("stage", "\(stage(s)) needs its details: fill in the section below.")
        case .detailsNotAllowed(let s, _, _): return ("stage", "\(stage(s)) takes no details.")
        case .invalidTroops(_, let reason): return ("troops", "Troops: \(reason).")
        case let .exceedsMandate(party, troops, maximum):
            return ("troopsDeployed", "\(name(party))'s parliament allowed at most \(groupedDigits(maximum)) troops; \(groupedDigits(troops)) is more.")
        case .occurredInFuture: return ("occurredAt", "This date is in the future. Record things once they have happened.")
        case .processClosed(let at): return ("occurredAt", "The process closed on \(at.utcDate); choose an earlier date or stop here.")
        case .beforeProcessOpened: return ("occurredAt", "This date is before the process opened.")
        case .objectionAfterDeadline(let deadline, _):
            return ("position", "The silence deadline passed at \(deadline.localTime) \(deadline.timeZone): an objection now has no effect.")
        case .positionNotAllowed(_, let allowed): return ("position", "Choose one of: " + allowed.map(\.label).joined(separator: ", ") + ".")
        case .statementRequired(_, let what): return ("statement", "This position needs \(what). Write it in the box.")
        case .voteNotChangeable: return ("position", "Votes in this process cannot be changed once cast.")
        case .nothingToWithdraw(let p): return ("party", "\(name(p)) has no position to withdraw.")
        case .entryAlreadyRetracted: return ("reason", "This entry was already retracted.")
        case .entryNotCorrectable: return ("reason", "This entry cannot be corrected; retract it instead.")
        case .invalidValue(let field, let reason):
            let short = field.split(separator: ".").last.map(String.init) ?? field
            return (short, "\(short.prefix(1).uppercased() + short.dropFirst()): \(reason).")
        default:
            return ("form", error.description.prefix(1).uppercased() + error.description.dropFirst() + ".")
        }
    }
}
