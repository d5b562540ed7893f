import AccordSchema
import Foundation

/// `schema/openapi.json` as the tests hold the server to it: which operation a request is, whether a response's
/// status, media type and body are documented for it, whether a request body the server accepted is
/// documented as acceptable.
struct OpenAPIContract: Sendable {
    let document: JSON
    var validator: SchemaValidator { SchemaValidator(root: document) }

    static let shared: OpenAPIContract = {
        do {
            return OpenAPIContract(document: try JSON.parse(AccordSchema.openAPI))
        } catch {
            fatalError("schema/openapi.json is not JSON: \(error)")
        }
    }()

    /// "GET /v1/processes/{process}" for every operation in the document.
    var operations: Set<String> {
        var out: Set<String> = []
        for (path, item) in document["paths"]?.object ?? [:] {
            for method in (item.object ?? [:]).keys where Self.methods.contains(method) { out.insert("\(method.uppercased()) \(path)") }
        }
        return out
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    struct Operation {
        var method: String
        var template: String
        var definition: JSON
    }

    /// The documented operation a concrete request path (`/v1/processes/6f1c…/steps`) belongs to. Literal
    /// segments win over parameters, as in the router.
    func operation(method: String, path: String) -> Operation? {
        let segments = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/").map(String.init) } ?? []
        var best: (score: Int, operation: Operation)?
        for (template, item) in document["paths"]?.object ?? [:] {
            guard let definition = item[method.lowercased()] else { continue }
            let parts = template.split(separator: "/").map(String.init)
            guard parts.count == segments.count else { continue }
            var score = 0
            var matches = true
            for (part, segment) in zip(parts, segments) {
                if part.hasPrefix("{") { continue }
                if part == segment { score += 1 } else { matches = false; break }
            }
            if matches, score > (best?.score ?? -1) { best = (score, Operation(method: method, template: template, definition: definition)) }
        }
        return best?.operation
    }

    /// Follows `$ref`s of responses, parameters and headers.
    func dereference(_ node: JSON) -> JSON {
        var current = node
        while let reference = current["$ref"]?.string, let target = validator.resolve(reference) { current = target }
        return current
    }

    /// Every way a response departs from the document.
    func check(response status: Int, contentType: String?, body: [UInt8], for operation: Operation) -> [String] {
        let label = "\(operation.method.uppercased()) \(operation.template) → \(status)"
        guard let declared = operation.definition["responses"]?[String(status)] ?? operation.definition["responses"]?["default"] else {
            return ["\(label): status \(status) is not documented (body: \(String(decoding: body.prefix(300), as: UTF8.self)))"]
        }
        let response = dereference(declared)
        let content = response["content"]?.object ?? [:]
        if body.isEmpty {
            return content.isEmpty ? [] : ["\(label): documented with a body (\(content.keys.sorted().joined(separator: ", "))) but none was sent"]
        }
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "(none)"
        guard let media = content[mediaType] else {
            return ["\(label): content type \(mediaType) is not documented (documented: \(content.keys.sorted().joined(separator: ", ")))"]
        }
        guard mediaType.hasSuffix("json"), let schema = media["schema"] else { return [] }
        let value: JSON
        do {
            value = try JSON.parse(body)
        } catch {
            return ["\(label): the body is not JSON: \(error)"]
        }
        return validator.validate(value, against: schema).map { "\(label): \($0)" }
    }

    /// Every way an accepted request body departs from the documented request schema.
    func check(requestBody body: [UInt8], for operation: Operation) -> [String] {
        let label = "\(operation.method.uppercased()) \(operation.template) request"
        guard let schema = operation.definition["requestBody"]?["content"]?["application/json"]?["schema"] else {
            return body.isEmpty ? [] : ["\(label): the server accepted a body the document does not describe"]
        }
        guard let value = try? JSON.parse(body) else { return ["\(label): the server accepted a body that is not JSON"] }
        return validator.validate(value, against: schema).map { "\(label): \($0)" }
    }
}
