import Foundation

/// Turns a template as written (JSON with `{"param": "name"}` placeholders) into a checked `ProcessTemplate`:
/// substitutes parameters, decodes strictly, and checks every cross-reference. All problems are reported
/// together so an author can fix a template in one go.
public enum TemplateCompiler {
    /// Checks a template definition as it would be registered. Parameters without defaults are checked with a
    /// stand-in value of their kind.
    public static func validate(_ definition: JSONValue) throws(DomainError) -> ProcessTemplate {
        let declared = try declaredParameters(definition)
        var values: [String: JSONValue] = [:]
        for p in declared { values[p.name] = p.defaultValue ?? standIn(for: p.kind, in: definition) }
        return try compile(definition, parameters: values)
    }

    /// Resolves a template for a process with the given parameter values (defaults fill the rest).
    public static func resolve(_ definition: JSONValue, parameters given: [String: JSONValue]) throws(DomainError)
        -> (template: ProcessTemplate, parameters: [String: JSONValue])
    {
        let declared = try declaredParameters(definition)
        let names = Set(declared.map(\.name))
        if let unknown = given.keys.sorted().first(where: { !names.contains($0) }) {
            throw .invalidParameter(name: unknown, reason: "the template has no such parameter; it has: \(names.sorted().joined(separator: ", "))")
        }
        var values: [String: JSONValue] = [:]
        for p in declared {
            guard let value = given[p.name] ?? p.defaultValue else {
                throw .invalidParameter(name: p.name, reason: "required (\(p.label))")
            }
            if let problem = check(value, kind: p.kind) { throw .invalidParameter(name: p.name, reason: problem) }
            values[p.name] = value
        }
        return (try compile(definition, parameters: values), values)
    }

    static func declaredParameters(_ definition: JSONValue) throws(DomainError) -> [TemplateParameter] {
        guard case .object(let object) = definition else { throw .invalidTemplate(["a template is a JSON object"]) }
        guard let raw = object["parameters"] else { return [] }
        do {
            return try JSONDecoder().decode([TemplateParameter].self, from: JSONEncoder().encode(raw))
        } catch {
            throw .invalidTemplate(["parameters: \(describe(error))"])
        }
    }

    static func compile(_ definition: JSONValue, parameters: [String: JSONValue]) throws(DomainError) -> ProcessTemplate {
        var problems: [String] = []
        let substituted = substitute(definition, parameters: parameters, path: "", problems: &problems)
        guard problems.isEmpty else { throw .invalidTemplate(problems) }
        let template: ProcessTemplate
        do {
            template = try JSONDecoder().decode(ProcessTemplate.self, from: JSONEncoder().encode(substituted))
        } catch {
            throw .invalidTemplate([describe(error)])
        }
        let issues = problemsIn(template)
        guard issues.isEmpty else { throw .invalidTemplate(issues) }
        return template
    }

    static func substitute(_ value: JSONValue, parameters: [String: JSONValue], path: String, problems: inout [String]) -> JSONValue {
        switch value {
        case .object(let object):
            if object.count == 1, case .string(let name)? = object["param"] {
                guard let replacement = parameters[name] else {
                    problems.append("\(path): parameter '\(name)' is not declared")
                    return .null
                }
                return replacement
            }
            var out: [String: JSONValue] = [:]
            for (key, child) in object where key != "parameters" || !path.isEmpty {
                out[key] = substitute(child, parameters: parameters, path: path + "/" + key, problems: &problems)
            }
            if path.isEmpty, let declared = object["parameters"] { out["parameters"] = declared }
            return .object(out)
        case .array(let array):
            return .array(array.enumerated().map { substitute($1, parameters: parameters, path: "\(path)/\($0)", problems: &problems) })
        default:
            return value
        }
    }

    static func standIn(for kind: TemplateParameter.Kind, in definition: JSONValue) -> JSONValue {
        switch kind {
        case .integer: .integer(1)
        case .string: .string("example")
        case .party: .string("XX")
        case .parties: .array([.string("XX")])
        case .body: .string("example-body")
        case .process: .string("00000000-0000-0000-0000-000000000000")
        case .ratio: .object(["numerator": .integer(1), "denominator": .integer(2)])
        case .stage:
            if case .array(let stages)? = definition["stages"], case .object(let first)? = stages.first, let id = first["id"] { id } else { .string("stage") }
        }
    }

    static func check(_ value: JSONValue, kind: TemplateParameter.Kind) -> String? {
        switch (kind, value) {
        case (.integer, .integer): return nil
        case (.string, .string): return nil
        case (.party, .string(let s)): return PartyCode(s) == nil ? "'\(s)' is not a party code" : nil
        case (.parties, .array(let items)):
            for item in items {
                guard case .string(let s) = item, PartyCode(s) != nil else { return "a list of party codes is expected" }
            }
            return nil
        case (.body, .string(let s)): return BodyID(s) == nil ? "'\(s)' is not a body id" : nil
        case (.stage, .string(let s)): return StageID(s) == nil ? "'\(s)' is not a stage id" : nil
        case (.process, .string(let s)): return ProcessID(s) == nil ? "'\(s)' is not a process id" : nil
        case (.ratio, .object(let o)):
            guard case .integer(let n)? = o["numerator"], case .integer(let d)? = o["denominator"], Ratio(n, d) != nil
            else { return "a ratio {\"numerator\": n, \"denominator\": d} is expected" }
            return nil
        default:
            return "a value of kind \(kind.rawValue) is expected"
        }
    }

    /// Cross-reference checks that decoding cannot do.
    public static func problemsIn(_ t: ProcessTemplate) -> [String] {
        var problems: [String] = []
        let stageIDs = t.stages.map(\.id)
        let stageSet = Set(stageIDs)
        if stageSet.count != stageIDs.count { problems.append("stage ids must be unique") }
        func checkStage(_ id: StageID, _ context: String) {
            if !stageSet.contains(id) { problems.append("\(context) names unknown stage '\(id)'") }
        }
        for stage in t.stages {
            stage.implies?.forEach { checkStage($0, "stage '\(stage.id)' implies") }
            stage.negates?.forEach { checkStage($0, "stage '\(stage.id)' negates") }
            stage.requires.forEach { checkStage($0.stage, "stage '\(stage.id)' requires") }
            if stage.negates != nil && stage.outcome != .negative {
                problems.append("stage '\(stage.id)' negates stages but is not a negative outcome")
            }
            if stage.kind == .pledge && stage.outcome == .negative { problems.append("stage '\(stage.id)': a pledge stage is a progress stage") }
        }
        if let transitions = t.transitions {
            for (from, targets) in transitions {
                if from != "start", StageID(from).map({ stageSet.contains($0) }) != true {
                    problems.append("transitions: '\(from)' is neither 'start' nor a stage")
                }
                targets.forEach { checkStage($0, "transitions from '\(from)'") }
            }
        }
        if case .parties(let parties) = t.electorate, parties.isEmpty { problems.append("an explicit electorate lists at least one party") }
        let deadlineIDs = t.deadlines.map(\.id)
        if Set(deadlineIDs).count != deadlineIDs.count { problems.append("deadline ids must be unique") }
        for d in t.deadlines where TimeZone(identifier: d.timeZone) == nil {
            problems.append("deadline '\(d.id)': unknown time zone '\(d.timeZone)'")
        }
        if let ballot = t.ballot {
            if ballot.positions.isEmpty { problems.append("a ballot lists at least one position") }
            if Set(ballot.positions).count != ballot.positions.count { problems.append("ballot positions must be unique") }
        }
        let ruleIDs = t.rules.map(\.id)
        let ruleSet = Set(ruleIDs)
        if ruleSet.count != ruleIDs.count { problems.append("rule ids must be unique") }
        if t.rules.isEmpty { problems.append("a template has at least one rule") }
        if !ruleSet.contains(t.decision) { problems.append("decision names unknown rule '\(t.decision)'") }
        for rule in t.rules {
            let name = "rule '\(rule.id)'"
            if rule.condition.readsBallots && t.ballot == nil { problems.append("\(name) reads ballots but the template has no 'ballot'") }
            for child in rule.condition.children where !ruleSet.contains(child) { problems.append("\(name) combines unknown rule '\(child)'") }
            func ratio(_ r: Ratio, _ field: String) {
                if r.numerator > r.denominator { problems.append("\(name): \(field) is more than 100%") }
            }
            func nonNegative(_ n: Int64, _ field: String) {
                if n < 0 { problems.append("\(name): \(field) cannot be negative") }
            }
            switch rule.condition {
            case .stageUnanimity(let stage): checkStage(stage, name)
            case .silenceProcedure(let deadline):
                if !deadlineIDs.contains(deadline) { problems.append("\(name) names unknown deadline '\(deadline)'") }
            case .constructiveAbstention(let r):
                ratio(r.memberShare, "memberShare")
                ratio(r.populationShare, "populationShare")
            case .qualifiedMajority(let r):
                ratio(r.memberShare, "memberShare")
                ratio(r.populationShare, "populationShare")
                r.minimumMembers.map { nonNegative($0, "minimumMembers") }
                r.blockingMinority.map { nonNegative($0, "blockingMinority") }
            case .securityCouncil(let r): nonNegative(r.minimumYes, "minimumYes")
            case .nOfM(let r):
                checkStage(r.stage, name)
                nonNegative(r.minimum, "minimum")
            case .weightedSum(let r):
                nonNegative(r.minimum, "minimum")
                r.filter.stage.map { checkStage($0, name) }
            case .count(let r):
                nonNegative(r.minimum, "minimum")
                r.filter.stage.map { checkStage($0, name) }
            case .roleCoverage(let components):
                if components.isEmpty { problems.append("\(name) lists at least one component") }
            case .entryIntoForce(let r):
                checkStage(r.stage, name)
                r.instruments.map { nonNegative($0, "instruments") }
            case .consensus, .unanimity, .dependency, .all, .any, .not:
                break
            }
        }
        // Combinations must not refer to themselves, directly or not.
        var state: [RuleID: Int] = [:]
        func visit(_ id: RuleID) -> Bool {
            if state[id] == 1 { return false }
            if state[id] == 2 { return true }
            state[id] = 1
            for child in t.rule(id)?.condition.children ?? [] where !visit(child) { return false }
            state[id] = 2
            return true
        }
        for id in ruleIDs where !visit(id) {
            problems.append("rule '\(id)' is part of a cycle of combined rules")
            break
        }
        return problems
    }

    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return String(describing: error) }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}
