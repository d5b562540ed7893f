import AccordAudit
import AccordDomain
import AccordEventStore
import AccordHTTP
import AccordService
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The audit API:
/// - `GET /v1/audit/export` (permission `export`): the log as JSON Lines (`format=jsonl`, the default) or the
///   status matrix as CSV (`format=csv`); filters `from`, `to` (positions), `recordedFrom`, `recordedUntil`
///   (RFC 3339 or a date), `process`, `party`. Streamed.
/// - `GET /v1/audit/checkpoints` (read): stored checkpoints, oldest first, `after` (an id) and `limit`.
/// - `POST /v1/audit/checkpoints` (permission `export`): signs and stores a checkpoint of the head now.
/// - `GET /v1/audit/keys` (read): every public key that signed checkpoints.
/// - `POST /v1/audit/redactions` (admins): records a redaction.
/// - `GET /v1/processes/{process}/report` (read): the process report as a self-contained HTML page.
public enum AuditRoutes {
    public static func installer(_ audit: AuditService) -> AccordServer.RouteInstaller {
        { router, env in install(audit, on: router, env) }
    }

    struct CheckpointPage: Codable, Sendable {
        var checkpoints: [StoredCheckpoint]
        /// Pass as `after` for the next page; null at the end.
        var next: Int64?
    }

    struct KeyList: Codable, Sendable {
        var keys: [RegisteredKey]
    }

    static func install(_ audit: AuditService, on router: Router<AccordRequestContext>, _ env: APIEnvironment) {
        let endpoints = Endpoints(router: router)

        endpoints.get("v1/audit/export") { request, context in
            let principal = try context.requirePrincipal()
            try principal.require(.export)
            let query = request.uri.queryParameters
            let format = query["format"].map(String.init) ?? "jsonl"
            let selection = try selection(request)
            switch format {
            case "jsonl", "ndjson", "json-lines":
                _ = try await audit.signingKey()
                var headers = HTTPFields()
                headers[.contentType] = ExportFormat.mediaType
                headers[.contentDisposition] = "attachment; filename=\"accord-export.jsonl\""
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    try await audit.exportJSONLines(selection) { buffer in
                        try await writer.write(ByteBuffer(bytes: buffer))
                    }
                    try await writer.finish(nil)
                })
            case "csv":
                var headers = HTTPFields()
                headers[.contentType] = StatusMatrixCSV.mediaType
                headers[.contentDisposition] = "attachment; filename=\"accord-status-matrix.csv\""
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    try await StatusMatrixCSV.write(selection, service: audit.service) { buffer in
                        try await writer.write(ByteBuffer(bytes: buffer))
                    }
                    try await writer.finish(nil)
                })
            default:
                throw Problem.badParameter("format", "'\(format)' is not jsonl or csv")
            }
        }

        endpoints.get("v1/audit/checkpoints") { request, context in
            _ = try env.reader(context)
            let query = request.uri.queryParameters
            let after = try query["after"].map { text throws(Problem) -> Int64 in
                guard let v = Int64(String(text)), v >= 0 else { throw Problem.badParameter("after", "a checkpoint id ≥ 0") }
                return v
            } ?? 0
            let limit = try query["limit"].map { text throws(Problem) -> Int in
                guard let v = Int(String(text)), (1...1000).contains(v) else { throw Problem.badParameter("limit", "between 1 and 1000") }
                return v
            } ?? 100
            let page = try await audit.records.checkpoints(after: after, limit: limit)
            return Response.json(CheckpointPage(checkpoints: page, next: page.count == limit ? page.last?.id : nil))
        }

        endpoints.post("v1/audit/checkpoints") { _, context in
            let principal = try context.requirePrincipal()
            try principal.require(.export)
            let stored = try await audit.checkpoint(reason: .request)
            return Response.json(stored, status: .created)
        }

        endpoints.get("v1/audit/keys") { _, context in
            _ = try env.reader(context)
            return Response.json(KeyList(keys: try await audit.records.keys()))
        }

        endpoints.post("v1/audit/redactions") { request, context in
            let principal = try context.requirePrincipal()
            try principal.require(.redact)
            let (body, _) = try await env.decode(RedactionRequest.self, request)
            let outcome = try await audit.redactor.redact(body, actor: principal.actor)
            return Response.json(outcome, status: .created)
        }

        endpoints.get("v1/processes/:process/report") { request, context in
            _ = try env.reader(context)
            let id = try env.processID(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            let html = try await ProcessReport.render(id, service: audit.service, asOf: asOf, cutoff: cutoff)
            var headers = HTTPFields()
            headers[.contentType] = ProcessReport.mediaType
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
        }
    }

    /// The export filters of a request.
    static func selection(_ request: Request) throws(Problem) -> ExportSelection {
        let query = request.uri.queryParameters
        func position(_ name: String) throws(Problem) -> Int64? {
            guard let text = query[name[...]].map(String.init) else { return nil }
            guard let v = Int64(text), v >= 1 else { throw Problem.badParameter(name, "a log position ≥ 1") }
            return v
        }
        func instant(_ name: String) throws(Problem) -> Instant? {
            guard let text = query[name[...]].map(String.init) else { return nil }
            if let instant = Instant(iso8601: text) { return instant }
            if let date = CivilDate(iso8601: text) { return Instant(startOf: date) }
            throw Problem.badParameter(name, "'\(text)' is not a date (2025-04-10) or date-time (2025-04-10T14:00:00Z)")
        }
        var selection = ExportSelection(fromPosition: try position("from"), toPosition: try position("to"),
                                        recordedFrom: try instant("recordedFrom"), recordedUntil: try instant("recordedUntil"))
        if let text = query["process"].map(String.init) {
            guard let id = ProcessID(text) else { throw Problem.badParameter("process", "'\(text)' is not a process id") }
            selection.process = id
        }
        if let text = query["party"].map(String.init) {
            guard let code = PartyCode(text) else { throw Problem.badParameter("party", "'\(text)' is not a two-letter party code") }
            selection.party = code
        }
        if let from = selection.fromPosition, let to = selection.toPosition, from > to {
            throw Problem.badParameter("to", "the range \(from)–\(to) is empty: 'to' must not be before 'from'")
        }
        if let from = selection.recordedFrom, let until = selection.recordedUntil, from >= until {
            throw Problem.badParameter("recordedUntil", "must be after recordedFrom")
        }
        return selection
    }
}
