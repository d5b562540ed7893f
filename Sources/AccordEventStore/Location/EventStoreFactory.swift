import Logging

/// Everything that shapes an opened store besides its location.
public struct EventStoreOptions: Sendable {
    public var clock: any WallClock
    public var limits: EventStoreLimits
    public var sqlite: SQLiteOptions
    public var postgres: PostgresOptions
    public var logger: Logger

    public init(
        clock: any WallClock = SystemWallClock(), limits: EventStoreLimits = EventStoreLimits(),
        sqlite: SQLiteOptions = SQLiteOptions(), postgres: PostgresOptions = PostgresOptions(),
        logger: Logger = Logger(label: "accord.event-store")
    ) {
        self.clock = clock
        self.limits = limits
        self.sqlite = sqlite
        self.postgres = postgres
        self.logger = logger
    }
}

public enum EventStoreFactory {
    /// Opens the database at `location`, applies pending migrations and returns the store. Throws
    /// `EventStoreError.databaseTooNew` for a database written by a newer Accord.
    public static func open(
        _ location: DatabaseLocation, options: EventStoreOptions = EventStoreOptions()
    ) async throws -> any EventStore {
        switch location {
        case .sqlite(let path):
            try await SQLiteEventStore.open(
                path: path, options: options.sqlite, clock: options.clock, limits: options.limits)
        case .postgres(let conninfo):
            try await PostgresEventStore.open(
                conninfo: conninfo, options: options.postgres, clock: options.clock, limits: options.limits,
                logger: options.logger)
        }
    }

    /// Opens the database at `location` only to apply pending migrations, and reports what was done.
    public static func migrate(
        _ location: DatabaseLocation, options: EventStoreOptions = EventStoreOptions()
    ) async throws -> MigrationReport {
        switch location {
        case .sqlite(let path):
            let store = try await SQLiteEventStore.open(
                path: path, options: options.sqlite, clock: options.clock, limits: options.limits)
            await store.close()
            return store.migrationReport
        case .postgres(let conninfo):
            let store = try await PostgresEventStore.open(
                conninfo: conninfo, options: options.postgres, clock: options.clock, limits: options.limits,
                logger: options.logger)
            await store.close()
            return store.migrationReport
        }
    }
}
