import AccordDomain
import AccordEventStore
import Logging

/// Accord's application core around the domain: the store, the in-memory domain log, commands, queries,
/// accounts, idempotency keys and the SQL read models. The HTTP server, the CLI and the tests all build on it.
public struct AccordService: Sendable {
    public let store: any EventStore
    public let log: DomainLog
    public let commands: CommandService
    public let queries: QueryService
    public let accounts: AccountStore
    public let idempotency: IdempotencyStore
    public let eventIndex: ProjectionRunner
    public let clock: any WallClock
    let logger: Logger

    public static let systemActor = ActorRef(id: "system", name: "Accord")

    public init(store: any EventStore, clock: any WallClock, logger: Logger = Logger(label: "accord")) {
        self.store = store
        self.clock = clock
        self.logger = logger
        let log = DomainLog(store: store, logger: logger)
        self.log = log
        self.commands = CommandService(log: log, clock: clock, logger: logger)
        self.queries = QueryService(log: log, clock: clock)
        self.accounts = AccountStore(store: store, clock: clock)
        self.idempotency = IdempotencyStore(database: store.database, clock: clock)
        self.eventIndex = ProjectionRunner(projection: EventIndexProjection(decoded: log.decoded), store: store, logger: logger)
    }

    /// Opens (and migrates) the database at `location`.
    public static func open(_ location: DatabaseLocation, options: EventStoreOptions = EventStoreOptions(),
                            logger: Logger = Logger(label: "accord")) async throws -> AccordService {
        let store = try await EventStoreFactory.open(location, options: options)
        return AccordService(store: store, clock: options.clock, logger: logger)
    }

    /// Reads the log, registers the bundled templates (new versions only) and starts following the log.
    public func start(registerTemplates: Bool = true, follow: Bool = true) async throws {
        try await log.catchUp()
        if registerTemplates { try await registerBundledTemplates() }
        try await eventIndex.catchUp()
        if follow {
            await log.startFollowing()
            await eventIndex.start()
        }
    }

    public func shutdown() async {
        await log.stop()
        await eventIndex.stop()
        await store.close()
    }

    public func registerBundledTemplates() async throws {
        for command in try BundledReference.templateCommands() {
            _ = try await commands.execute(command, context: CommandContext(actor: Self.systemActor))
        }
    }

    /// Parties, bodies with their membership, and the EU Council population table. Idempotent.
    @discardableResult
    public func loadReferenceData(actor: ActorRef = AccordService.systemActor) async throws -> Int {
        var recorded = 0
        for command in try BundledReference.referenceCommands() {
            if BundledReference.isAlreadyApplied(command, in: await log.registry()) { continue }
            recorded += try await commands.execute(command, context: CommandContext(actor: actor)).recorded.count
        }
        return recorded
    }

    /// The reference data and the demo processes. Idempotent: a second run records nothing.
    @discardableResult
    public func loadDemo() async throws -> Int {
        var recorded = try await loadReferenceData(actor: DemoScenario.actor)
        if await log.process(DemoScenario.forceGeneration) != nil { return recorded }
        for command in DemoScenario.commands(now: clock.now()) {
            recorded += try await commands.execute(command, context: CommandContext(actor: DemoScenario.actor)).recorded.count
        }
        return recorded
    }
}
