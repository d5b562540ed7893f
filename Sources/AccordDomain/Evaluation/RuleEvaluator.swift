/// The outcomes of other processes, over effective time, for dependency rules. The caller evaluates the other
/// processes first; keeping them as data keeps evaluation pure.
public struct DependencyTimeline: Hashable, Sendable, Codable {
    public struct Point: Hashable, Sendable, Codable {
        public var at: Instant
        public var status: RuleStatus
    }

    public var process: ProcessID
    public var title: String
    public var decision: RuleID
    public var rules: [RuleID: [Point]]

    public init(process: ProcessID, title: String, decision: RuleID, rules: [RuleID: [Point]]) {
        self.process = process
        self.title = title
        self.decision = decision
        self.rules = rules
    }

    /// The rule's status on a date (not yet before its first known status).
    public func status(of rule: RuleID?, asOf instant: Instant) -> RuleStatus? {
        guard let points = rules[rule ?? decision] else { return nil }
        return points.last { $0.at <= instant }?.status ?? .notYet
    }

    public var changeInstants: [Instant] { rules.values.flatMap { $0.map(\.at) } }
}

/// Evaluates a template's rules over one snapshot. Pure: the same snapshot gives the same results.
public struct RuleEvaluator: Sendable {
    public let snapshot: ProcessSnapshot
    public let dependencies: [ProcessID: DependencyTimeline]

    public init(snapshot: ProcessSnapshot, dependencies: [ProcessID: DependencyTimeline] = [:]) {
        self.snapshot = snapshot
        self.dependencies = dependencies
    }

    var template: ProcessTemplate { snapshot.process.definition }
    var asOf: Instant { snapshot.asOf }

    /// Every rule, in the template's order. Combinations are evaluated after the rules they combine (templates
    /// are validated to be acyclic).
    public func evaluateAll() -> [RuleResult] {
        var results: [RuleID: RuleResult] = [:]
        func visit(_ id: RuleID, depth: Int) -> RuleResult? {
            if let done = results[id] { return done }
            guard let spec = template.rule(id), depth < 64 else { return nil }
            for child in spec.condition.children { _ = visit(child, depth: depth + 1) }
            let result = self.evaluate(spec, children: results)
            results[id] = result
            return result
        }
        return template.rules.compactMap { visit($0.id, depth: 0) }
    }

    public func evaluate(_ spec: RuleSpec, children: [RuleID: RuleResult]) -> RuleResult {
        var result: RuleResult
        switch spec.condition {
        case .stageUnanimity(let stage): result = stageUnanimity(stage)
        case .consensus: result = consensus()
        case .silenceProcedure(let deadline): result = silenceProcedure(deadline)
        case .unanimity: result = unanimity(constructive: nil)
        case .constructiveAbstention(let rule): result = unanimity(constructive: rule)
        case .qualifiedMajority(let rule): result = qualifiedMajority(rule)
        case .securityCouncil(let rule): result = securityCouncil(rule)
        case .nOfM(let rule): result = nOfM(rule)
        case .weightedSum(let rule): result = weightedSum(rule)
        case .count(let rule): result = count(rule)
        case .roleCoverage(let components): result = roleCoverage(components)
        case .dependency(let rule): result = dependency(rule)
        case .all(let ids): result = combine(ids.compactMap { children[$0] }, all: true)
        case .any(let ids): result = combine(ids.compactMap { children[$0] }, all: false)
        case .not(let id): result = negate(children[id])
        case .entryIntoForce(let rule): result = entryIntoForce(rule)
        }
        result.rule = spec.id
        result.label = spec.label
        result.kind = spec.condition.kind
        return result
    }

    // MARK: Stage rules

    func stageUnanimity(_ stage: StageID) -> RuleResult {
        let electors = snapshot.electorate
        let label = snapshot.stageLabel(stage)
        guard !electors.isEmpty else {
            return result(.notApplicable, "no electorate")
        }
        let reached = electors.filter { snapshot.standing(of: $0).holds(stage) }
        let missing = electors.filter { !snapshot.standing(of: $0).holds(stage) }
        let out = missing.filter { snapshot.standing(of: $0).isOut }
        let status: RuleStatus = missing.isEmpty ? .satisfied : (out.isEmpty ? .notYet : .failed)
        return result(
            status, "\(reached.count) of \(electors.count) \(label)",
            figures: [countFigure("reached", label, reached.count, of: electors.count, needs: electors.count)],
            blockers: missing.map { missingStageBlocker($0, stage) })
    }

    func nOfM(_ rule: NOfMRule) -> RuleResult {
        let electors = snapshot.electorate
        let label = snapshot.stageLabel(rule.stage)
        let reached = electors.filter { snapshot.standing(of: $0).holds(rule.stage) }
        let missingRequired = rule.required.filter { !snapshot.standing(of: $0).holds(rule.stage) }
        let stillPossible = electors.filter { snapshot.standing(of: $0).holds(rule.stage) || !snapshot.standing(of: $0).isOut }
        var blockers = missingRequired.map { party -> RuleBlocker in
            let standing = snapshot.standing(of: party)
            return RuleBlocker(party: party, reason: .requiredPartyMissing,
                               detail: "blocked by \(party): \(describe(standing)), needs \(label)")
        }
        if reached.count < rule.minimum {
            blockers.append(RuleBlocker(reason: .thresholdNotMet, detail: "\(rule.minimum - Int64(reached.count)) more needed at \(label)"))
        }
        let requiredOut = missingRequired.contains { snapshot.standing(of: $0).isOut }
        let status: RuleStatus
        if blockers.isEmpty {
            status = .satisfied
        } else if requiredOut || Int64(stillPossible.count) < rule.minimum {
            status = .failed
        } else {
            status = .notYet
        }
        var figures = [countFigure("reached", label, reached.count, of: electors.count, needs: Int(rule.minimum))]
        if !rule.required.isEmpty {
            let have = rule.required.count - missingRequired.count
            figures.append(RuleFigure(
                key: "required", label: "named parties at \(label)", value: .count(Int64(have)), total: Int64(rule.required.count),
                threshold: .count(Int64(rule.required.count)), met: missingRequired.isEmpty,
                text: "\(have) of \(rule.required.count) named parties (\(rule.required.map(\.rawValue).joined(separator: ", ")))"))
        }
        return result(status, "\(reached.count) of \(rule.minimum) needed at \(label)", figures: figures, blockers: blockers)
    }

    func entryIntoForce(_ rule: EntryIntoForceRule) -> RuleResult {
        let electors = snapshot.electorate
        let label = snapshot.stageLabel(rule.stage)
        let needed = rule.instruments ?? Int64(electors.count)
        guard needed > 0 else { return result(.notApplicable, "no instruments needed") }
        let deposits = electors.compactMap { party -> (PartyCode, Instant)? in
            snapshot.standing(of: party).held[rule.stage].map { (party, $0.since) }
        }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        var figures = [countFigure("instruments", label, deposits.count, of: electors.count, needs: Int(needed))]
        let possible = electors.filter { snapshot.standing(of: $0).holds(rule.stage) || !snapshot.standing(of: $0).isOut }
        guard Int64(deposits.count) >= needed else {
            let missing = electors.filter { !snapshot.standing(of: $0).holds(rule.stage) }
            let status: RuleStatus = Int64(possible.count) < needed ? .failed : .notYet
            return result(status, "\(deposits.count) of \(needed) instruments (\(label))", figures: figures,
                          blockers: [RuleBlocker(reason: .thresholdNotMet, detail: "\(needed - Int64(deposits.count)) more instruments needed")]
                              + missing.map { missingStageBlocker($0, rule.stage) })
        }
        let nth = deposits[Int(needed) - 1]
        let entryIntoForce = rule.delay.apply(to: nth.1.utcDate)
        let inForceFrom = Instant(startOf: entryIntoForce)
        figures.append(RuleFigure(
            key: "entry-into-force", label: "entry into force", value: .date(entryIntoForce), met: asOf >= inForceFrom,
            text: "enters into force on \(entryIntoForce) (\(rule.delay.summary) the \(ordinal(needed)) instrument, \(nth.0) on \(nth.1.utcDate))"))
        // Parties that deposit after the threshold get their own date.
        for (party, date) in deposits.dropFirst(Int(needed)) {
            let own = rule.delay.apply(to: date.utcDate)
            figures.append(RuleFigure(
                key: "entry-into-force-\(party.rawValue)", label: "entry into force for \(party)", value: .date(own), met: asOf >= Instant(startOf: own),
                text: "for \(party) (deposited \(date.utcDate)): \(own)"))
        }
        if asOf >= inForceFrom {
            return result(.satisfied, "in force since \(entryIntoForce)", figures: figures, expectedAt: inForceFrom)
        }
        return result(.notYet, "\(deposits.count) instruments; enters into force on \(entryIntoForce)", figures: figures,
                      blockers: [RuleBlocker(reason: .waitingForDate, detail: "enters into force on \(entryIntoForce)")], expectedAt: inForceFrom)
    }

    // MARK: Pledges

    func matches(_ filter: PartyFilter, _ standing: PartyStanding) -> Bool {
        if let stage = filter.stage, !standing.holds(stage) { return false }
        if let component = filter.component, standing.pledge?.offers(component) != true { return false }
        if filter.unconditional == true, standing.pledge?.isUnconditional != true { return false }
        return true
    }

    func quantity(_ q: Quantity, _ standing: PartyStanding) -> Int64 {
        switch q {
        case .pledgedTroops: standing.pledge?.troops ?? 0
        case .deployedTroops: standing.deployedTroops
        }
    }

    func weightedSum(_ rule: WeightedSumRule) -> RuleResult {
        var counted: Int64 = 0
        var conditional: Int64 = 0
        var contributors: [PartyCode] = []
        var conditionalParties: [PartyCode] = []
        for party in snapshot.electorate {
            let standing = snapshot.standing(of: party)
            guard matches(rule.filter, standing) else { continue }
            let amount = quantity(rule.quantity, standing)
            guard amount > 0 else { continue }
            let isConditional = rule.quantity == .pledgedTroops && standing.pledge?.isUnconditional == false
            if isConditional {
                conditional += amount
                conditionalParties.append(party)
            }
            if !isConditional || rule.includeConditional {
                counted += amount
                contributors.append(party)
            }
        }
        let noun = rule.quantity == .pledgedTroops ? "troops pledged" : "troops deployed"
        var figures = [RuleFigure(
            key: "troops", label: noun, value: .count(counted), threshold: .count(rule.minimum), met: counted >= rule.minimum,
            text: "\(groupedDigits(counted)) of \(groupedDigits(rule.minimum)) \(noun) (\(contributors.count) parties)")]
        if rule.quantity == .pledgedTroops {
            let who = conditionalParties.isEmpty ? "" : " (\(conditionalParties.map(\.rawValue).joined(separator: ", ")))"
            figures.append(RuleFigure(
                key: "conditional-troops", label: rule.includeConditional ? "of which on conditions" : "on conditions, not counted",
                value: .count(conditional),
                text: rule.includeConditional ? "of which \(groupedDigits(conditional)) on conditions\(who)"
                                              : "\(groupedDigits(conditional)) more on conditions, not counted\(who)"))
        }
        if counted >= rule.minimum {
            return result(.satisfied, "\(groupedDigits(counted)) of \(groupedDigits(rule.minimum)) \(noun)", figures: figures)
        }
        let status: RuleStatus = snapshot.isClosed ? .failed : .notYet
        return result(status, "\(groupedDigits(counted)) of \(groupedDigits(rule.minimum)) \(noun)", figures: figures,
                      blockers: [RuleBlocker(reason: .thresholdNotMet, detail: "\(groupedDigits(rule.minimum - counted)) troops short")])
    }

    func count(_ rule: CountRule) -> RuleResult {
        let matching = snapshot.electorate.filter { matches(rule.filter, snapshot.standing(of: $0)) }
        let what = describe(rule.filter)
        let text = "\(matching.count) parties \(what) (needs \(rule.minimum))"
        let figures = [RuleFigure(
            key: "parties", label: "parties \(what)", value: .count(Int64(matching.count)), total: Int64(snapshot.electorate.count),
            threshold: .count(rule.minimum), met: Int64(matching.count) >= rule.minimum,
            text: text + (matching.isEmpty ? "" : ": " + matching.map(\.rawValue).joined(separator: ", ")))]
        if Int64(matching.count) >= rule.minimum { return result(.satisfied, text, figures: figures) }
        return result(snapshot.isClosed ? .failed : .notYet, text, figures: figures,
                      blockers: [RuleBlocker(reason: .thresholdNotMet, detail: "\(rule.minimum - Int64(matching.count)) more parties needed")])
    }

    /// A filter in words: "pledging land forces", "at Ready".
    func describe(_ filter: PartyFilter) -> String {
        var parts: [String] = []
        if let component = filter.component {
            parts.append("pledging \(component.rawValue)" + (component == .land || component == .air || component == .sea ? " forces" : ""))
        } else if let stage = filter.stage {
            parts.append("at \(snapshot.stageLabel(stage))")
        }
        if filter.unconditional == true { parts.append("without conditions") }
        return parts.isEmpty ? "in the electorate" : parts.joined(separator: ", ")
    }

    func roleCoverage(_ components: [CapabilityComponent]) -> RuleResult {
        var figures: [RuleFigure] = []
        var blockers: [RuleBlocker] = []
        var covered = 0
        for component in components {
            let leads = snapshot.electorate.filter { snapshot.standing(of: $0).pledge?.leads(component) == true }
            if leads.isEmpty {
                blockers.append(RuleBlocker(reason: .missingLead, detail: "no lead nation for \(component.rawValue)"))
            } else {
                covered += 1
            }
            figures.append(RuleFigure(
                key: "lead-\(component.rawValue)", label: "\(component.rawValue) lead", value: .count(Int64(leads.count)),
                threshold: .count(1), met: !leads.isEmpty,
                text: "\(component.rawValue): " + (leads.isEmpty ? "no lead nation" : leads.map(\.rawValue).joined(separator: ", "))))
        }
        let status: RuleStatus = blockers.isEmpty ? .satisfied : (snapshot.isClosed ? .failed : .notYet)
        let summary = RuleFigure(key: "components-led", label: "components with a lead nation", value: .count(Int64(covered)),
                                 total: Int64(components.count), threshold: .count(Int64(components.count)), met: blockers.isEmpty,
                                 text: "\(covered) of \(components.count) components have a lead nation")
        return result(status, "\(covered) of \(components.count) components led", figures: [summary] + figures, blockers: blockers)
    }

    // MARK: Ballot rules

    /// Turns a vote's condition into a status: definitive only once the vote is closed (or complete).
    func ballotStatus(holds: Bool) -> RuleStatus {
        if holds { return snapshot.isClosed || snapshot.allPositionsIn ? .satisfied : .notYet }
        return snapshot.isClosed ? .failed : .notYet
    }

    func noPositionBlockers(_ electors: [PartyCode]) -> [RuleBlocker] {
        guard !snapshot.isClosed else { return [] }
        return electors.filter { snapshot.standing(of: $0).ballot == nil }.map {
            RuleBlocker(party: $0, reason: .noPosition, detail: "\($0) has not stated a position")
        }
    }

    func opposingBlocker(_ party: PartyCode, _ ballot: BallotContent) -> RuleBlocker {
        let reason: RuleBlocker.Reason = switch ballot.position {
        case .veto: .veto
        case .objection: .objection
        default: .votesAgainst
        }
        let statement = ballot.statement.map { ": \($0)" } ?? ""
        return RuleBlocker(party: party, reason: reason, detail: "\(party) \(ballot.position.label)\(statement)")
    }

    func tally(_ electors: [PartyCode]) -> [BallotPosition: [PartyCode]] {
        var tally: [BallotPosition: [PartyCode]] = [:]
        for party in electors {
            tally[snapshot.standing(of: party).ballot?.position ?? .absent, default: []].append(party)
        }
        return tally
    }

    func consensus() -> RuleResult {
        let electors = snapshot.ballotElectorate
        guard !electors.isEmpty else { return result(.notApplicable, "no electorate") }
        let opposing = electors.compactMap { p in snapshot.standing(of: p).ballot.flatMap { $0.position.isOpposing ? (p, $0) : nil } }
        let stated = electors.filter { snapshot.standing(of: $0).ballot != nil }
        let footnotes = electors.filter { snapshot.standing(of: $0).ballot?.position == .yesWithReservation }
        let status: RuleStatus = opposing.isEmpty
            ? (stated.count == electors.count ? .satisfied : (snapshot.isClosed ? .failed : .notYet))
            : (snapshot.isClosed ? .failed : .notYet)
        var figures = [countFigure("positions", "positions stated", stated.count, of: electors.count, needs: electors.count),
                       RuleFigure(key: "objections", label: "objections", value: .count(Int64(opposing.count)), threshold: .count(0), met: opposing.isEmpty,
                                  text: "\(opposing.count) objections")]
        if !footnotes.isEmpty {
            figures.append(RuleFigure(key: "footnotes", label: "footnotes (do not block)", value: .count(Int64(footnotes.count)),
                                      text: "footnotes by " + footnotes.map(\.rawValue).joined(separator: ", ")))
        }
        return result(status, opposing.isEmpty ? "\(stated.count) of \(electors.count) agree, no objection" : "\(opposing.count) objecting",
                      figures: figures, blockers: opposing.map { opposingBlocker($0.0, $0.1) } + noPositionBlockers(electors))
    }

    func silenceProcedure(_ id: DeadlineID) -> RuleResult {
        let name = template.deadline(id)?.label ?? id.rawValue
        guard let deadline = snapshot.deadlines[id] else {
            return result(.notApplicable, "\(name) not set")
        }
        let at = deadline.value.at
        // Objections count only if made before the deadline; one made after it has no effect.
        let cutoff = min(asOf, at)
        var objectors: [(PartyCode, BallotContent)] = []
        for party in snapshot.electorate {
            let position = snapshot.process.orderedBallots
                .filter { $0.current.content.party == party && $0.effectiveAt <= cutoff && $0.effectiveAt <= (snapshot.closedAt ?? .distantFuture) }
                .last?.current.content
            if case .cast(let ballot) = position, ballot.position.isOpposing { objectors.append((party, ballot)) }
        }
        let deadlineFigure = RuleFigure(key: "deadline", label: name, value: .instant(at), met: asOf >= at,
                                        text: "\(name): \(deadline.value.display)")
        let objectionFigure = RuleFigure(key: "objections", label: "standing objections", value: .count(Int64(objectors.count)),
                                         threshold: .count(0), met: objectors.isEmpty, text: "\(objectors.count) standing objections")
        let blockers = objectors.map { opposingBlocker($0.0, $0.1) }
        if asOf >= at {
            if objectors.isEmpty {
                return result(.satisfied, "deemed adopted: silence not broken by \(deadline.value.localTime) \(deadline.value.timeZone)",
                              figures: [deadlineFigure, objectionFigure], expectedAt: at)
            }
            return result(.failed, "silence broken by " + objectors.map(\.0.rawValue).joined(separator: ", "),
                          figures: [deadlineFigure, objectionFigure], blockers: blockers, expectedAt: at)
        }
        let pending = RuleBlocker(reason: .deadlinePending, detail: "silence runs until \(deadline.value.display)")
        return result(.notYet, objectors.isEmpty ? "silence holds until \(deadline.value.localTime) \(deadline.value.timeZone)"
                                                 : "silence broken by " + objectors.map(\.0.rawValue).joined(separator: ", ") + " (may be withdrawn)",
                      figures: [deadlineFigure, objectionFigure], blockers: blockers + [pending], expectedAt: at)
    }

    func weights(_ source: WeightSource, _ parties: [PartyCode]) -> (total: Int64, by: [PartyCode: Int64], missing: [PartyCode]) {
        let date = snapshot.closedAt.map { min($0, asOf) } ?? asOf
        var by: [PartyCode: Int64] = [:]
        var missing: [PartyCode] = []
        var total: Int64 = 0
        for party in parties {
            if let w = snapshot.registry.weight(of: party, from: source, at: date) {
                by[party] = w
                total += w
            } else {
                missing.append(party)
            }
        }
        return (total, by, missing)
    }

    func unanimity(constructive: ConstructiveAbstentionRule?) -> RuleResult {
        let electors = snapshot.ballotElectorate
        guard !electors.isEmpty else { return result(.notApplicable, "no electorate") }
        let t = tally(electors)
        let opposing = electors.compactMap { p in snapshot.standing(of: p).ballot.flatMap { $0.position.isOpposing ? (p, $0) : nil } }
        let yes = electors.filter { snapshot.standing(of: $0).ballot?.position.isAffirmative == true }
        var blockers = opposing.map { opposingBlocker($0.0, $0.1) }
        var figures = [
            countFigure("yes", "yes", yes.count, of: electors.count, needs: nil),
            RuleFigure(key: "against", label: "against among members present", value: .count(Int64(opposing.count)), threshold: .count(0),
                       met: opposing.isEmpty, text: "\(opposing.count) against"),
            RuleFigure(key: "abstentions", label: "abstentions (do not block)",
                       value: .count(Int64((t[.abstain]?.count ?? 0) + (t[.qualifiedAbstention]?.count ?? 0))),
                       text: "\((t[.abstain]?.count ?? 0) + (t[.qualifiedAbstention]?.count ?? 0)) abstentions"),
        ]
        var holds = opposing.isEmpty && !yes.isEmpty
        if let rule = constructive {
            let abstainers = t[.qualifiedAbstention] ?? []
            let w = weights(rule.weights, electors)
            let abstainerWeight = abstainers.reduce(Int64(0)) { $0 + (w.by[$1] ?? 0) }
            let memberShare = Ratio.share(Int64(abstainers.count), of: Int64(electors.count))
            let populationShare = Ratio.share(abstainerWeight, of: w.total)
            let memberMet = memberShare.isAtLeast(rule.memberShare)
            let populationMet = populationShare.isAtLeast(rule.populationShare)
            figures.append(RuleFigure(
                key: "qualified-abstainers", label: "qualified abstainers", value: .share(memberShare), total: Int64(electors.count),
                threshold: .share(rule.memberShare), met: !memberMet,
                text: "\(abstainers.count) of \(electors.count) members abstain with a declaration (\(memberShare.percentage())); blocks at \(rule.memberShare.percentage()) together with population"))
            figures.append(RuleFigure(
                key: "qualified-abstainers-population", label: "population of qualified abstainers", value: .share(populationShare),
                threshold: .share(rule.populationShare), met: !populationMet,
                text: "\(populationShare.percentage()) of population (\(snapshot.registry.weightSourceLabel(rule.weights, at: asOf)))"))
            if memberMet && populationMet {
                holds = false
                blockers.append(RuleBlocker(reason: .qualifiedAbstentions,
                                            detail: "qualified abstentions by \(abstainers.map(\.rawValue).joined(separator: ", ")) reach a third of members and of population"))
            }
            for party in w.missing { blockers.append(RuleBlocker(party: party, reason: .thresholdNotMet, detail: "no population figure for \(party)")) }
        }
        if yes.isEmpty && opposing.isEmpty && snapshot.isClosed {
            blockers.append(RuleBlocker(reason: .thresholdNotMet, detail: "no member voted yes"))
        }
        let status = ballotStatus(holds: holds)
        let headline = opposing.isEmpty ? "\(yes.count) yes, none against" : "\(opposing.count) against: " + opposing.map(\.0.rawValue).joined(separator: ", ")
        return result(status, headline, figures: figures, blockers: blockers + (holds ? [] : noPositionBlockers(electors)))
    }

    func qualifiedMajority(_ rule: QualifiedMajorityRule) -> RuleResult {
        let participants = snapshot.ballotElectorate
        guard !participants.isEmpty else { return result(.notApplicable, "no participating members") }
        let yes = participants.filter { snapshot.standing(of: $0).ballot?.position.isAffirmative == true }
        let notYes = participants.filter { snapshot.standing(of: $0).ballot?.position.isAffirmative != true }
        let w = weights(rule.weights, participants)
        let yesWeight = yes.reduce(Int64(0)) { $0 + (w.by[$1] ?? 0) }
        let memberShare = Ratio.share(Int64(yes.count), of: Int64(participants.count))
        let populationShare = Ratio.share(yesWeight, of: w.total)
        let allParticipate = participants.count == snapshot.electorate.count
        let neededMembers = max(rule.memberShare.minimumCount(of: Int64(participants.count)),
                                allParticipate ? (rule.minimumMembers ?? 0) : 0)
        let memberMet = Int64(yes.count) >= neededMembers
        let populationMet = populationShare.isAtLeast(rule.populationShare)
        let deemed = rule.blockingMinority.map { Int64(notYes.count) < $0 } ?? false
        let holds = memberMet && (populationMet || deemed) && w.missing.isEmpty

        var figures = [
            RuleFigure(key: "yes-members", label: "members voting yes", value: .share(memberShare), total: Int64(participants.count),
                       threshold: .share(rule.memberShare), met: memberMet,
                       text: "\(yes.count) of \(participants.count) members (\(memberShare.percentage())); needs \(rule.memberShare.percentage()), at least \(neededMembers)"),
            RuleFigure(key: "yes-population", label: "population of members voting yes", value: .share(populationShare),
                       threshold: .share(rule.populationShare), met: populationMet,
                       text: "\(populationShare.percentage()) of population; needs \(rule.populationShare.percentage()) (\(snapshot.registry.weightSourceLabel(rule.weights, at: asOf)))"),
        ]
        if let minority = rule.blockingMinority {
            figures.append(RuleFigure(
                key: "not-yes-members", label: "members not voting yes", value: .count(Int64(notYes.count)), threshold: .count(minority),
                met: Int64(notYes.count) >= minority,
                text: "\(notYes.count) members not voting yes; a blocking minority needs at least \(minority)"
                    + (deemed && !populationMet ? ": majority deemed reached" : "")))
        }
        if participants.count < snapshot.electorate.count {
            let out = snapshot.electorate.filter { !participants.contains($0) }
            figures.append(RuleFigure(key: "not-participating", label: "not participating", value: .count(Int64(out.count)),
                                      text: "not participating: " + out.map(\.rawValue).joined(separator: ", ")))
        }
        var blockers: [RuleBlocker] = []
        if !memberMet {
            blockers.append(RuleBlocker(reason: .thresholdNotMet, detail: "\(neededMembers - Int64(yes.count)) more yes votes needed (\(neededMembers) of \(participants.count))"))
        }
        if !populationMet && !deemed {
            let minorityWeight = notYes.reduce(Int64(0)) { $0 + (w.by[$1] ?? 0) }
            blockers.append(RuleBlocker(reason: .thresholdNotMet,
                                        detail: "blocking minority of \(notYes.count) members with \(Ratio.share(minorityWeight, of: w.total).percentage()) of population: "
                                            + notYes.map(\.rawValue).joined(separator: ", ")))
        }
        for party in w.missing { blockers.append(RuleBlocker(party: party, reason: .thresholdNotMet, detail: "no weight for \(party) in \(snapshot.registry.weightSourceLabel(rule.weights, at: asOf))")) }
        let status = ballotStatus(holds: holds)
        return result(status, "\(yes.count) of \(participants.count) yes, \(populationShare.percentage()) of population",
                      figures: figures, blockers: blockers + (holds ? [] : noPositionBlockers(participants)))
    }

    func securityCouncil(_ rule: SecurityCouncilRule) -> RuleResult {
        let electors = snapshot.electorate
        guard !electors.isEmpty else { return result(.notApplicable, "no members") }
        let date = snapshot.closedAt.map { min($0, asOf) } ?? asOf
        let body = snapshot.process.electorateBody.flatMap { snapshot.registry.bodies[$0] }
        let permanent = electors.filter { body?.roles(of: $0, at: date).contains(rule.permanentRole) == true }
        let yes = electors.filter { snapshot.standing(of: $0).ballot?.position.isAffirmative == true }
        let vetoes = permanent.compactMap { p in snapshot.standing(of: p).ballot.flatMap { $0.position.isOpposing ? (p, $0) : nil } }
        let yesMet = Int64(yes.count) >= rule.minimumYes
        var blockers = vetoes.map { RuleBlocker(party: $0.0, reason: .veto, detail: "\($0.0), a permanent member, \($0.1.position.label)") }
        if !yesMet {
            blockers.append(RuleBlocker(reason: .thresholdNotMet, detail: "\(rule.minimumYes - Int64(yes.count)) more affirmative votes needed"))
        }
        let abstainingPermanent = permanent.filter {
            let p = snapshot.standing(of: $0).ballot?.position
            return p == nil || p == .abstain || p == .absent || p == .obligatoryAbstention || p == .qualifiedAbstention
        }
        var figures = [
            RuleFigure(key: "yes", label: "affirmative votes", value: .count(Int64(yes.count)), total: Int64(electors.count),
                       threshold: .count(rule.minimumYes), met: yesMet, text: "\(yes.count) of \(electors.count) yes; needs \(rule.minimumYes)"),
            RuleFigure(key: "permanent-vetoes", label: "permanent members voting no", value: .count(Int64(vetoes.count)), threshold: .count(0),
                       met: vetoes.isEmpty, text: vetoes.isEmpty ? "no veto" : "vetoed by " + vetoes.map(\.0.rawValue).joined(separator: ", ")),
        ]
        if !abstainingPermanent.isEmpty {
            figures.append(RuleFigure(key: "permanent-abstentions", label: "permanent members abstaining or absent (not a veto)",
                                      value: .count(Int64(abstainingPermanent.count)),
                                      text: "not a veto: " + abstainingPermanent.map(\.rawValue).joined(separator: ", ") + " abstaining or absent"))
        }
        let holds = yesMet && vetoes.isEmpty
        return result(ballotStatus(holds: holds), "\(yes.count) yes of \(electors.count)" + (vetoes.isEmpty ? "" : ", vetoed"),
                      figures: figures, blockers: blockers + (holds ? [] : noPositionBlockers(electors)))
    }

    // MARK: Combinations and dependencies

    func dependency(_ rule: DependencyRule) -> RuleResult {
        guard let other = dependencies[rule.process] else {
            return result(.notYet, "waiting for process \(rule.process)",
                          blockers: [RuleBlocker(reason: .dependencyNotMet, detail: "process \(rule.process) is not known")])
        }
        let status = other.status(of: rule.rule, asOf: asOf) ?? .notYet
        let ruleName = (rule.rule ?? other.decision).rawValue
        let figure = RuleFigure(key: "dependency", label: other.title, value: .count(status == rule.status ? 1 : 0), met: status == rule.status,
                                text: "\(other.title) — \(ruleName): \(status.label)")
        if status == rule.status { return result(.satisfied, "\(other.title): \(status.label)", figures: [figure]) }
        let failed = rule.status == .satisfied && status == .failed
        return result(failed ? .failed : .notYet, "\(other.title): \(status.label)", figures: [figure],
                      blockers: [RuleBlocker(reason: .dependencyNotMet, detail: "\(other.title) (\(ruleName)) is \(status.label), needs \(rule.status.label)")])
    }

    func combine(_ children: [RuleResult], all: Bool) -> RuleResult {
        let applicable = children.filter { $0.status != .notApplicable }
        guard !applicable.isEmpty else { return result(.notApplicable, "no applicable rule") }
        let satisfied = applicable.filter { $0.status == .satisfied }
        let failed = applicable.filter { $0.status == .failed }
        let status: RuleStatus
        if all {
            status = !failed.isEmpty ? .failed : (satisfied.count == applicable.count ? .satisfied : .notYet)
        } else {
            status = !satisfied.isEmpty ? .satisfied : (failed.count == applicable.count ? .failed : .notYet)
        }
        let blockers = status == .satisfied ? [] : applicable.filter { $0.status != .satisfied }.map {
            RuleBlocker(reason: .childRule, detail: "\($0.label): \($0.status.label) — \($0.headline)")
        }
        let figure = RuleFigure(key: "rules", label: all ? "rules satisfied" : "rules satisfied (any)", value: .count(Int64(satisfied.count)),
                                total: Int64(applicable.count), threshold: .count(all ? Int64(applicable.count) : 1),
                                met: status == .satisfied, text: "\(satisfied.count) of \(applicable.count) rules satisfied")
        return result(status, "\(satisfied.count) of \(applicable.count) rules satisfied", figures: [figure], blockers: blockers)
    }

    func negate(_ child: RuleResult?) -> RuleResult {
        guard let child, child.status != .notApplicable else { return result(.notApplicable, "rule not applicable") }
        switch child.status {
        case .satisfied:
            return result(.notYet, "\(child.label) is satisfied",
                          blockers: [RuleBlocker(reason: .childRule, detail: "\(child.label) is satisfied")])
        default:
            return result(.satisfied, "\(child.label) is \(child.status.label)")
        }
    }

    // MARK: Helpers

    func result(_ status: RuleStatus, _ headline: String, figures: [RuleFigure] = [], blockers: [RuleBlocker] = [],
                expectedAt: Instant? = nil) -> RuleResult {
        RuleResult(rule: RuleID(uncheckedRawValue: "unset"), label: "", kind: .all, status: status, headline: headline,
                   figures: figures, blockers: status == .satisfied ? [] : blockers, expectedAt: expectedAt)
    }

    func countFigure(_ key: String, _ label: String, _ count: Int, of total: Int, needs: Int?) -> RuleFigure {
        RuleFigure(key: key, label: label, value: .count(Int64(count)), total: Int64(total),
                   threshold: needs.map { .count(Int64($0)) }, met: needs.map { count >= $0 },
                   text: "\(count) of \(total) \(label)" + (needs.map { $0 != total ? " (needs \($0))" : "" } ?? ""))
    }

    func describe(_ standing: PartyStanding) -> String {
        if let stage = standing.currentStage {
            return "at \(snapshot.stageLabel(stage)) since \(standing.current?.effectiveAt.utcDate.iso8601 ?? "")"
        }
        return "no step recorded"
    }

    func missingStageBlocker(_ party: PartyCode, _ stage: StageID) -> RuleBlocker {
        let standing = snapshot.standing(of: party)
        if let current = standing.currentStage, template.stage(current)?.outcome == .negative {
            return RuleBlocker(party: party, reason: .negativeOutcome,
                               detail: "\(party): \(snapshot.stageLabel(current)) on \(standing.current?.effectiveAt.utcDate.iso8601 ?? "")"
                                   + (standing.isOut ? " (final)" : ""))
        }
        if let end = standing.expired[stage] {
            return RuleBlocker(party: party, reason: .missingStage, detail: "\(party): \(snapshot.stageLabel(stage)) expired after \(end)")
        }
        return RuleBlocker(party: party, reason: .missingStage, detail: "\(party): \(describe(standing))")
    }
}

func ordinal(_ n: Int64) -> String {
    let suffix: String
    switch (n % 10, n % 100) {
    case (1, let h) where h != 11: suffix = "st"
    case (2, let h) where h != 12: suffix = "nd"
    case (3, let h) where h != 13: suffix = "rd"
    default: suffix = "th"
    }
    return "\(n)\(suffix)"
}
