/// The positions real bodies use. Which ones a process accepts is set by its template.
public enum BallotPosition: String, Hashable, Sendable, Codable, CaseIterable {
    case yes
    case no
    case abstain
    /// Abstention with a formal declaration (EU constructive abstention, Art. 31(1) TEU): the member is not
    /// bound to apply the decision but accepts that it commits the Union.
    case qualifiedAbstention = "qualified-abstention"
    /// Breaks a silence procedure or a consensus.
    case objection
    /// A veto, with a justification.
    case veto
    case conditionalYes = "conditional-yes"
    /// Yes with a reservation or footnote: dissent on record that does not block.
    case yesWithReservation = "yes-with-reservation"
    case absent
    /// Opted out of this vote: leaves the electorate for it (e.g. Denmark in justice and home affairs).
    case notParticipating = "not-participating"
    /// Must abstain (UNSC member party to a dispute, Art. 27(3) UN Charter): not counted as a veto.
    case obligatoryAbstention = "obligatory-abstention"

    /// Counts as a yes vote.
    public var isAffirmative: Bool {
        switch self {
        case .yes, .conditionalYes, .yesWithReservation: true
        default: false
        }
    }

    /// Opposes: blocks consensus.
    public var isOpposing: Bool {
        switch self {
        case .no, .objection, .veto: true
        default: false
        }
    }

    /// The member is present for the vote (EU unanimity counts members present).
    public var isPresent: Bool {
        switch self {
        case .absent, .notParticipating: false
        default: true
        }
    }

    public var label: String {
        switch self {
        case .yes: "yes"
        case .no: "no"
        case .abstain: "abstains"
        case .qualifiedAbstention: "abstains with a formal declaration"
        case .objection: "objects"
        case .veto: "vetoes"
        case .conditionalYes: "yes, on conditions"
        case .yesWithReservation: "yes, with a reservation"
        case .absent: "absent"
        case .notParticipating: "does not participate"
        case .obligatoryAbstention: "abstains (obligatory)"
        }
    }
}
