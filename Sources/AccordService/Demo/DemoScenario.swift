import AccordDomain
import AccordEventStore
import Foundation

/// The demo: the Coalition of the Willing's reassurance force for Ukraine, as the reports in `shared/seeds/`
/// describe it, plus a NATO silence procedure on lending NATO command and control, and the coalition's
/// deployment decision that depends on both.
///
/// What each nation did is taken from the reports (dates are the meetings they describe). The reports give no
/// national troop numbers: the figures in the pledges are illustrative, and each pledge's note says so.
public enum DemoScenario {
    public static let actor = ActorRef(id: "demo", name: "Accord demo loader")

    /// Fixed ids, so that loading the demo twice changes nothing.
    public static let forceGeneration = ProcessID(UUID(uuidString: "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01")!)
    public static let natoC2 = ProcessID(UUID(uuidString: "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b02")!)
    public static let deployment = ProcessID(UUID(uuidString: "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b03")!)

    static let rfe = "RFE/RL, R. Jozwiak: 'Western Coalition Inches Closer To Ukraine Reassurance Force Plans', Sept. 2025"
    static let independent = "The Independent: 'What could a Reassurance Force look like?', Nov. 2025"
    static let myind = "Myind: 'Defence ministers from Coalition of the Willing meet', 10 Apr. 2025"
    static let ft = "FT via Caliber.Az: 'European allies discuss NATO's involvement in Ukraine security mission', Apr. 2025"
    static let wsj = "WSJ: 'Europe Hatches Plans for Ukraine Peacekeepers Without U.S.', Mar. 2025"
    static let illustrative = "Troop figure illustrative: the reports give no national numbers."

    static func day(_ text: String) -> Instant { Instant(startOf: CivilDate(iso8601: text)!).adding(seconds: 12 * 3600) }

    static func step(_ party: String, _ stage: String, _ date: String, source: String, note: String? = nil, details: StepDetails? = nil) -> ProcessCommand {
        .recordStep(process: forceGeneration,
                    step: StepContent(party: PartyCode(party)!, stage: StageID(stage)!, details: details, source: source, note: note),
                    occurredAt: day(date))
    }

    static func pledge(_ party: String, _ date: String, troops: Int64, _ components: [CapabilityComponent], lead: [CapabilityComponent] = [],
                       conditions: [String], source: String, note: String) -> ProcessCommand {
        step(party, "pledged", date, source: source, note: note, details: StepDetails(pledge: PledgeDetails(
            troops: troops, capabilities: components.map { CapabilityPledge(component: $0, lead: lead.contains($0)) }, conditions: conditions)))
    }

    /// The commands of the demo, in order. `now` places the NATO silence deadline two days ahead, so the demo
    /// always shows a live procedure.
    public static func commands(now: Instant) -> [ProcessCommand] {
        let ceasefire = "ceasefire in force"
        let invitation = "invitation from Ukraine"
        let backstop = "US backstop"
        var commands: [ProcessCommand] = [
            .open(OpenProcess(process: forceGeneration, title: "Reassurance Force for Ukraine — force generation", reference: "CoW-MNF-U",
                              template: TemplateID("coalition-force-generation")!, occurredAt: day("2025-03-27"))),
            // Leaders' meetings in London (2 March) and Paris (27 March); defence ministers at NATO HQ (10 April).
            step("GB", "interest", "2025-03-02", source: wsj, note: "Co-leads the coalition with France."),
            step("FR", "interest", "2025-03-02", source: wsj, note: "Co-leads the coalition with the United Kingdom."),
            step("DE", "interest", "2025-03-02", source: rfe, note: "Hesitating; would most probably need a Bundestag vote to send any troops."),
            step("CA", "interest", "2025-03-02", source: wsj, note: "Has indicated a willingness to play a role."),
            step("JP", "interest", "2025-03-02", source: wsj, note: "Has indicated a willingness to play a role."),
            step("GB", "government-decision", "2025-04-10", source: myind, note: "Healey: 'Our planning is real and substantial.'"),
            step("LV", "interest", "2025-04-10", source: myind, note: "Does not rule out troops if its own defence posture on the Russian border stays intact."),
            step("NL", "interest", "2025-04-10", source: myind, note: "Brekelmans: US involvement needed depends on the mission."),
            step("FI", "interest", "2025-04-10", source: myind, note: "Häkkänen: the US is a crucial player that must be involved somehow."),
            step("IT", "interest", "2025-04-10", source: ft, note: "Has suggested the United Nations could lead instead."),
            step("GR", "declined", "2025-04-10", source: myind, note: "Opted out of providing personnel, citing its own security priorities."),
            step("PL", "government-decision", "2025-04-10", source: myind, note: "Opted out of providing personnel; its role mainly a logistics hub."),
            pledge("PL", "2025-09-04", troops: 0, [.logistics], conditions: [ceasefire], source: rfe, note: "Logistics hub for the force, no troops."),
            // Paris, 4 September: components and lead nations take shape.
            step("FR", "government-decision", "2025-09-04", source: rfe),
            pledge("FR", "2025-09-04", troops: 7_000, [.land, .air], lead: [.land], conditions: [ceasefire, invitation], source: rfe,
                   note: "Leads the land component with the UK; forces in fallback positions in Kyiv or Odesa. " + illustrative),
            step("TR", "interest", "2025-04-10", source: rfe),
            step("TR", "government-decision", "2025-09-04", source: independent, note: "Ready to contribute; a ceasefire first before firm commitments."),
            pledge("TR", "2025-09-04", troops: 2_000, [.sea, .demining], lead: [.sea], conditions: [ceasefire], source: rfe,
                   note: "Leads the sea component: Black Sea lanes and naval demining. " + illustrative),
        ]
        // About eight other nations, mainly Nordic-Baltic, ready to put boots on the ground.
        let nordicBaltic: [(String, Int64, [String])] = [("NO", 700, [ceasefire]), ("SE", 800, [ceasefire]), ("FI", 600, [ceasefire, backstop]),
                                                         ("DK", 750, [ceasefire]), ("EE", 350, [ceasefire]), ("LT", 300, [ceasefire])]
        for (party, troops, conditions) in nordicBaltic {
            if party != "FI" { commands.append(step(party, "interest", "2025-04-10", source: myind)) }
            commands.append(step(party, "government-decision", "2025-09-04", source: rfe, note: "Ready to put boots on the ground."))
            commands.append(pledge(party, "2025-09-04", troops: troops, [.land], conditions: conditions, source: rfe, note: illustrative))
        }
        commands += [
            step("BE", "interest", "2025-04-10", source: myind),
            step("BE", "government-decision", "2025-09-04", source: rfe),
            pledge("BE", "2025-09-04", troops: 500, [.land, .air], conditions: [ceasefire], source: rfe, note: illustrative),
            step("NL", "government-decision", "2025-09-04", source: rfe),
            pledge("NL", "2025-09-04", troops: 1_000, [.land, .isr], conditions: [ceasefire, backstop], source: rfe,
                   note: "Depends on a US backstop. " + illustrative),
            // November: the UK confirms units are chosen and money set aside.
            pledge("GB", "2025-11-25", troops: 7_500, [.land, .air], lead: [.land], conditions: [ceasefire, invitation], source: independent,
                   note: "More than £100m prepared for sending forces; military units already chosen. " + illustrative),
        ]

        // The NATO decision: a silence procedure in Brussels time, deadline two days ahead of loading.
        let deadlineDate = now.adding(seconds: 2 * 86_400).utcDate
        commands += [
            .open(OpenProcess(process: natoC2, title: "NAC decision: NATO command and control and ISR for the reassurance force",
                              reference: "PO(2025)0412-DEMO", template: TemplateID("nato-silence-procedure")!, occurredAt: now.adding(seconds: -86_400))),
            .setDeadline(process: natoC2, deadline: DeadlineID("silence")!, localTime: "\(deadlineDate.iso8601)T12:00", timeZone: nil,
                         reason: "Using NATO assets for a non-NATO mission needs every ally's approval.", occurredAt: now.adding(seconds: -86_400)),
            .open(OpenProcess(process: deployment, title: "Reassurance Force — decision to deploy", reference: "CoW-MNF-U-DEPLOY",
                              template: TemplateID("coalition-deployment-decision")!,
                              parameters: ["forceGeneration": .string(forceGeneration.description), "allianceDecision": .string(natoC2.description)],
                              occurredAt: now.adding(seconds: -86_400))),
        ]
        return commands
    }
}
