import AccordDomain
import AccordService

// The values the Mustache templates render. Plain stored properties only: Mustache reads them by reflection.
// Every user-entered text is escaped by the templates ({{…}}); only SVG the server built goes out raw ({{{…}}}).

struct UserView: Sendable {
    var name: String
    var role: String
    var csrf: String
}

/// What every page shows around its content.
struct Chrome: Sendable {
    var title: String
    var user: UserView?
    /// Shown at the top, e.g. "Recorded: Germany — Government decision".
    var notice: String?
    var asOf: String
    var knownAt: String
    /// Not "now": the page shows the past and does not update live.
    var historical: Bool
    var historicalText: String?
    /// The query string that keeps the date choice in links (`?asOf=…&knownAt=…`, or empty).
    var timeQuery: String
}

struct StatusView: Sendable {
    var text: String
    var cssClass: String
    var symbol: String

    init(_ status: RuleStatus) {
        switch status {
        case .satisfied: (text, cssClass, symbol) = ("Satisfied", "satisfied", "✓")
        case .notYet: (text, cssClass, symbol) = ("Not yet", "not-yet", "…")
        case .failed: (text, cssClass, symbol) = ("Failed", "failed", "✗")
        case .notApplicable: (text, cssClass, symbol) = ("Not applicable", "not-applicable", "–")
        }
    }
}

struct RuleBadge: Sendable {
    var label: String
    var status: StatusView
    var headline: String
}

struct ProcessRow: Sendable {
    var href: String
    var title: String
    var reference: String?
    var template: String
    var opened: String
    var closed: String?
    var decision: RuleBadge?
    var rules: [RuleBadge]
}

struct ProcessListPage: Sendable {
    var page: Chrome
    var processes: [ProcessRow]
    var empty: Bool
}

struct RuleView: Sendable {
    var id: String
    var label: String
    var status: StatusView
    var headline: String
    var figures: [String]
    var blockers: [String]
    var hasBlockers: Bool
    var since: String?
    var decidedBy: String?
    var isDecision: Bool
}

struct ChartView: Sendable {
    var svg: String
    var label: String
    var rows: [ChartRow]
}

struct ChartRow: Sendable {
    var date: String
    var value: String
    var status: String
}

struct ColumnView: Sendable {
    var label: String
    var negative: Bool
}

struct CellView: Sendable {
    var text: String
    var cssClass: String
    /// Date, source and note, shown on hover or focus.
    var detail: String?
    var hasDetail: Bool
}

struct MatrixRowView: Sendable {
    var party: String
    var name: String
    var href: String
    var current: String
    var currentNegative: Bool
    var outOfElectorate: Bool
    var cells: [CellView]
    var pledge: String?
    var ballot: String?
}

struct MatrixView: Sendable {
    var columns: [ColumnView]
    var rows: [MatrixRowView]
    var hasColumns: Bool
    var hasPledges: Bool
    var hasBallots: Bool
}

struct TimelineItem: Sendable {
    var id: String
    var effective: String
    var recorded: String
    var actor: String
    var summary: String
    var source: String?
    var note: String?
    var kind: String
    var retracted: Bool
    var retractionText: String?
    var corrections: [String]
    var concerns: String?
    var reason: String?
    /// Shown with correct/retract forms (the signed-in account may amend it).
    var amendable: Bool
    var correctable: Bool
    var party: String?
    var stage: String?
    var date: String
    var processID: String
    var csrf: String
    /// Why the last correction or retraction of this entry was refused.
    var amendError: String?
}

struct OptionView: Sendable {
    var value: String
    var label: String
    var selected: Bool
    /// For stages: the kind of details the stage takes; for parties: the stages allowed next (space-separated).
    var data: String
    /// For capabilities: whether "lead" is ticked. (Mustache treats an empty string as true, so flags are Bools.)
    var lead: Bool = false
}

struct FieldError: Sendable {
    var message: String
}

/// The record forms, with only what the template and the account allow.
struct FormsView: Sendable {
    var csrf: String
    var action: String
    var parties: [OptionView]
    var stages: [OptionView]
    var hasStages: Bool
    var positions: [OptionView]
    var hasBallot: Bool
    var components: [OptionView]
    var procedures: [OptionView]
    var open: String?
    var errors: [String: FieldError]
    var values: [String: String]
    var formError: String?
}

struct WhatIfRow: Sendable {
    var label: String
    var before: StatusView
    var after: StatusView
    var beforeHeadline: String
    var afterHeadline: String
    var changed: Bool
}

struct WhatIfView: Sendable {
    var description: String
    var rows: [WhatIfRow]
}

struct DeadlineItem: Sendable {
    var label: String
    var text: String
    var passed: Bool
}

struct ProcessPage: Sendable {
    var page: Chrome
    var id: String
    var title: String
    var reference: String?
    var template: String
    var opened: String
    var closed: String?
    var version: Int64
    var description: String
    var electorateSize: Int
    var deadlines: [DeadlineItem]
    var rules: [RuleView]
    var charts: [ChartView]
    var hasCharts: Bool
    var matrix: MatrixView
    var timeline: [TimelineItem]
    /// Set when older entries are not listed.
    var timelineMore: TimelineMore?
    var forms: FormsView?
    var whatIf: WhatIfView?
    var liveURL: String?
}

struct TimelineMore: Sendable {
    var total: String
    var hidden: String
    var href: String
}

struct PartyProcessRow: Sendable {
    var href: String
    var title: String
    var stage: String
    var since: String?
    var pledge: String?
    var ballot: String?
    var blocking: [String]
    var decision: RuleBadge?
    var inElectorate: Bool
}

struct MembershipItem: Sendable {
    var body: String
    var period: String
    var roles: String?
}

struct PartyPage: Sendable {
    var page: Chrome
    var code: String
    var name: String
    var population: String?
    var parliamentaryStep: String?
    var needsVote: String
    var memberships: [MembershipItem]
    var processes: [PartyProcessRow]
}

struct PartyListPage: Sendable {
    var page: Chrome
    var parties: [PartyListRow]
}

struct PartyListRow: Sendable {
    var code: String
    var name: String
    var href: String
    var parliamentaryStep: String?
}

struct SignInPage: Sendable {
    var page: Chrome
    var error: String?
    var next: String
}

struct ErrorPage: Sendable {
    var page: Chrome
    var heading: String
    var message: String
}
