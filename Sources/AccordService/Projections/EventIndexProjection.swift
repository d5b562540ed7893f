import AccordDomain
import AccordEventStore

/// Which process and which party each event concerns: lets exports and the event log be filtered by process or
/// party with an index instead of decoding every payload.
public struct EventIndexProjection: SQLProjection {
    public let name = "event-index"

    /// The domain log's decoded payloads.
    let decoded: DecodedEvents

    public init(decoded: DecodedEvents) {
        self.decoded = decoded
    }

    public func apply(_ events: [RecordedEvent], in connection: any SQLConnection) throws {
        for event in events {
            guard let envelope = try? decoded.envelope(event) else { continue }
            let (process, party) = Self.keys(of: envelope.event)
            guard process != nil || party != nil else { continue }
            try connection.execute(
                "INSERT INTO accord_event_index (position, process, party, type) VALUES ($1, $2, $3, $4) ON CONFLICT (position) DO NOTHING",
                [.integer(event.position), SQLValue(process?.description), SQLValue(party?.rawValue), .text(event.type)])
        }
    }

    public func reset(in connection: any SQLConnection) throws {
        try connection.execute("DELETE FROM accord_event_index")
    }

    static func keys(of event: DomainEvent) -> (ProcessID?, PartyCode?) {
        switch event {
        case .processOpened(let e): (e.process, nil)
        case .stepRecorded(let e): (e.process, e.step.party)
        case .ballotCast(let e): (e.process, e.ballot.party)
        case .ballotWithdrawn(let e): (e.process, e.party)
        case .deadlineSet(let e): (e.process, nil)
        case .deadlineExtended(let e): (e.process, nil)
        case .processClosed(let e): (e.process, nil)
        case .entryRetracted(let e): (e.process, nil)
        case .entryCorrected(let e): (e.process, e.step?.party ?? e.ballot?.party)
        case .partyRegistered(let e): (nil, e.party)
        case .partyAttributeSet(let e): (nil, e.party)
        case .memberJoined(let e): (nil, e.party)
        case .memberLeft(let e): (nil, e.party)
        case .memberRolesChanged(let e): (nil, e.party)
        case .bodyDefined, .weightTablePublished, .templateRegistered: (nil, nil)
        }
    }
}
