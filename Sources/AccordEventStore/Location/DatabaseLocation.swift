import Foundation

/// Where the event store lives, as given on the command line (`--database`) or in `ACCORD_DATABASE`.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    /// A SQLite file (created with its parent folders if missing).
    case sqlite(path: String)
    /// A PostgreSQL database: a libpq connection string, or empty to use the `PG*` environment variables.
    case postgres(conninfo: String)

    /// Parses:
    /// - `postgres://…` or `postgresql://…`: PostgreSQL with that URI;
    /// - `postgres`: PostgreSQL from the standard `PG*` environment variables (PGHOST, PGDATABASE, PGUSER, …);
    /// - `sqlite:PATH`: a SQLite file;
    /// - anything else: a path to a SQLite file.
    public init(parsing text: String) throws(EventStoreError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw .unavailable("no database given: use --database (or ACCORD_DATABASE) with a path, sqlite:PATH, postgres or a postgres:// URL")
        }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            self = .postgres(conninfo: trimmed)
        } else if trimmed == "postgres" || trimmed == "postgresql" {
            self = .postgres(conninfo: "")
        } else if trimmed.hasPrefix("sqlite:") {
            let path = String(trimmed.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .unavailable("sqlite: needs a file path, e.g. sqlite:data/accord.sqlite") }
            self = .sqlite(path: path)
        } else {
            self = .sqlite(path: trimmed)
        }
    }

    /// A description without passwords, safe for logs.
    public var description: String {
        switch self {
        case .sqlite(let path): return "SQLite \(path)"
        case .postgres(let conninfo) where conninfo.isEmpty: return "PostgreSQL (from PG* environment variables)"
        case .postgres(let conninfo): return "PostgreSQL \(Self.redacted(conninfo))"
        }
    }

    private static func redacted(_ conninfo: String) -> String {
        if var components = URLComponents(string: conninfo), components.scheme?.hasPrefix("postgres") == true {
            if components.password != nil { components.password = "***" }
            components.queryItems = components.queryItems?.map {
                $0.name == "password" ? URLQueryItem(name: "password", value: "***") : $0
            }
            return components.string ?? "(connection string)"
        }
        return conninfo.split(separator: " ").map { $0.hasPrefix("password=") ? "password=***" : String($0) }
            .joined(separator: " ")
    }
}
