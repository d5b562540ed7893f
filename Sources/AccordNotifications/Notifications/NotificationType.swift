import AccordDomain
import Foundation

/// What a notification reports. The raw value is the name used in filters, SSE `event:` lines and the
/// `notification` field of the payload; the CloudEvents `type` is `org.accord.` followed by it.
public enum NotificationType: String, CaseIterable, Codable, Sendable, Hashable, Comparable {
    /// A rule became satisfied (a quorum was reached, a silence deemed adopted).
    case ruleSatisfied = "rule.satisfied"
    /// A rule that was satisfied is not any more (an approval lapsed, a pledge was withdrawn).
    case ruleLost = "rule.lost"
    /// A rule cannot be satisfied any more (a veto, a rejection, silence broken at the deadline).
    case ruleFailed = "rule.failed"
    case processOpened = "process.opened"
    case processClosed = "process.closed"
    /// A stage step of a party (only for subscribers who ask for it).
    case stepRecorded = "step.recorded"
    /// A ballot cast (only for subscribers who ask for it).
    case ballotCast = "ballot.cast"
    /// A ballot withdrawn (only for subscribers who ask for it).
    case ballotWithdrawn = "ballot.withdrawn"
    /// An entry corrected, with the reason (only for subscribers who ask for it).
    case entryCorrected = "entry.corrected"
    /// An entry retracted, with the reason (only for subscribers who ask for it).
    case entryRetracted = "entry.retracted"
    /// A deadline is nearer than the configured lead time (24 h by default).
    case deadlineApproaching = "deadline.approaching"
    /// A deadline passed: for a silence procedure, deemed adopted or broken by an objection.
    case deadlinePassed = "deadline.passed"
    /// A parliamentary approval's mandate ends within the configured lead time.
    case approvalExpiring = "approval.expiring"
    /// A parliamentary approval's mandate ended.
    case approvalExpired = "approval.expired"

    /// Types sent only to subscribers who name them: every ballot and step is a lot of traffic.
    public var isOnRequest: Bool {
        switch self {
        case .stepRecorded, .ballotCast, .ballotWithdrawn, .entryCorrected, .entryRetracted: true
        default: false
        }
    }

    /// The types a subscription without a type filter receives.
    public static let defaultSelection: Set<NotificationType> = Set(allCases.filter { !$0.isOnRequest })

    public var cloudEventType: String { CloudEventFormat.typePrefix + rawValue }

    public static func < (lhs: NotificationType, rhs: NotificationType) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Which notifications a webhook subscription or an SSE stream receives: by type (default: every type but the
/// on-request ones) and by process (default: all).
public struct NotificationFilter: Hashable, Sendable {
    /// nil: the default selection.
    public var types: Set<NotificationType>?
    /// Empty: every process.
    public var processes: Set<ProcessID>

    public init(types: Set<NotificationType>? = nil, processes: Set<ProcessID> = []) {
        self.types = types
        self.processes = processes
    }

    public var effectiveTypes: Set<NotificationType> { types ?? NotificationType.defaultSelection }

    public func matches(type: NotificationType, process: ProcessID?) -> Bool {
        guard effectiveTypes.contains(type) else { return false }
        if processes.isEmpty { return true }
        guard let process else { return false }
        return processes.contains(process)
    }

    /// Parses type names: exact names (`rule.satisfied`), a family (`rule.*`) or `*` for every type including
    /// the on-request ones. Unknown names are refused with the list of known ones.
    public static func parseTypes(_ names: [String]) throws(NotificationError) -> Set<NotificationType>? {
        let trimmed = names.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !trimmed.isEmpty else { return nil }
        var types = Set<NotificationType>()
        for name in trimmed {
            if name == "*" {
                types.formUnion(NotificationType.allCases)
            } else if name.hasSuffix(".*") {
                let family = String(name.dropLast(1))
                let members = NotificationType.allCases.filter { $0.rawValue.hasPrefix(family) }
                guard !members.isEmpty else { throw .unknownType(name) }
                types.formUnion(members)
            } else if let type = NotificationType(rawValue: name) {
                types.insert(type)
            } else {
                throw .unknownType(name)
            }
        }
        return types
    }

    public static func parseProcesses(_ texts: [String]) throws(NotificationError) -> Set<ProcessID> {
        var processes = Set<ProcessID>()
        for text in texts.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            guard let id = ProcessID(String(text)) else { throw .invalidValue(field: "process", reason: "'\(text)' is not a process id") }
            processes.insert(id)
        }
        return processes
    }

    /// The stored form of the type filter: sorted names, empty for the default selection.
    var storedTypes: String { types.map { $0.sorted().map(\.rawValue).joined(separator: ",") } ?? "" }
    var storedProcesses: String { processes.map(\.description).sorted().joined(separator: ",") }

    init(storedTypes: String, storedProcesses: String) {
        let names = storedTypes.split(separator: ",").compactMap { NotificationType(rawValue: String($0)) }
        types = storedTypes.isEmpty ? nil : Set(names)
        processes = Set(storedProcesses.split(separator: ",").compactMap { ProcessID(String($0)) })
    }
}
