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
        // The shape scanner gives the key structure in one pass. What it refuses goes to Foundation's parser,
        // which words the error, or takes it (it also accepts a trailing comma): nothing it took before is refused.
        let given: JSONShape
        if let scanned = JSONShape(parsing: bytes) {
            given = scanned
        } else {
            do {
                given = shape(of: try JSONSerialization.jsonObject(with: data))
            } catch {
                throw Problem.malformed("the body is not valid JSON: " + describe(error))
            }
        }
        guard case .object = given else { throw Problem.malformed("the body must be a JSON object") }
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw Problem.malformed(describe(error))
        }
        // Anything the decoded value would not write back was not understood.
        if let echoed = try? CanonicalJSON.shape(of: value) {
            let unknown = given.unknownKeys(comparedWith: echoed)
            if !unknown.isEmpty {
                throw Problem.malformed("unknown field" + (unknown.count > 1 ? "s " : " ") + unknown.map { "'\($0)'" }.joined(separator: ", "),
                                        errors: unknown.map { "\($0): unknown field" })
            }
        }
        return value
    }

    /// The shape of a tree from Foundation's parser.
    static func shape(of tree: Any) -> JSONShape {
        if let object = tree as? [String: Any] { return .object(object.mapValues(shape)) }
        if let array = tree as? [Any] { return .array(array.map(shape)) }
        return tree is NSNull ? .null : .leaf
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
