import Testing

/// The behaviour every backend must have. Each test takes the backend as its argument and runs unchanged on
/// SQLite and PostgreSQL, each case on a fresh database. The tests live in extensions, one file per topic.
@Suite("Event store contract")
struct EventStoreContract {}
