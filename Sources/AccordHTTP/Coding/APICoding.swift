import AccordDomain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON in and out of the API. Decoding is strict: a body that is not JSON, a wrong type, a missing field and
/// an unknown field (a misspelt `occuredAt`) are all 400 `malformed-request` with the field's path, before
/// anything is validated or written.
public enum APICoding {
    public static func encode(_ value: some Encodable) -> [UInt8] {
        // Keys sorted, slashes unescaped: Foundation's form, written by `CanonicalJSON` (a tenth of the cost).
        // Values built from domain types always encode; an empty object is a safe fallback for the impossible.
        (try? CanonicalJSON.encode(value)) ?? Array("{}".utf8)
    }

    public static func decode<T: Codable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let data = Data(bytes)
        // Foundation's own parser gives the key structure quickly (decoding it into `JSONValue` would try each
        // JSON type in turn and throw at every miss); the typed decoding then checks types and required fields.
        let tree: Any
        do {
            tree = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw Problem.malformed("the body is not valid JSON: " + describe(error))
        }
        guard let object = tree as? [String: Any] else { throw Problem.malformed("the body must be a JSON object") }
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw Problem.malformed(describe(error))
        }
        // Anything the decoded value would not write back was not understood.
        if let echoed = try? CanonicalJSON.shape(of: value) {
            let unknown = unknownKeys(object, known: echoed, path: "")
            if !unknown.isEmpty {
                throw Problem.malformed("unknown field" + (unknown.count > 1 ? "s " : " ") + unknown.map { "'\($0)'" }.joined(separator: ", "),
                                        errors: unknown.map { "\($0): unknown field" })
            }
        }
        return value
    }

    /// Keys present in `given` (with a non-null value) that the decoded value does not carry.
    static func unknownKeys(_ given: Any, known: JSONShape, path: String) -> [String] {
        if let g = given as? [String: Any] {
            // The type took an object and wrote back something else (a custom coding): nothing to compare.
            guard case .object(let k) = known else { return [] }
            return g.keys.sorted().flatMap { key -> [String] in
                guard let value = g[key], !(value is NSNull) else { return [] }
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard let knownValue = k[key] else { return [childPath] }
                return unknownKeys(value, known: knownValue, path: childPath)
            }
        }
        if let g = given as? [Any], case .array(let k) = known {
            return zip(g, k).enumerated().flatMap { i, pair in unknownKeys(pair.0, known: pair.1, path: "\(path)[\(i)]") }
        }
        return []
    }

    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else {
            return ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        }
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "(body)" : text)
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(describeType(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(describeType(type)), got null"
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "\(path(context.codingPath)): \(underlying ?? context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func describeType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int64.Type, is Int.Type, is Int32.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        default: "\(type)"
        }
    }
}

extension Response {
    /// A JSON response.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: APICoding.encode(value))))
    }
}
