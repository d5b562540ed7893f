import Foundation

/// Validates JSON against the subset of JSON Schema 2020-12 that `schema/openapi.json` uses. Keywords it does
/// not know are not silently ignored: `unsupportedKeywords` lists them, and a contract test requires that list
/// to be empty, so the document cannot start relying on a check that nothing performs.
struct SchemaValidator {
    /// The document `$ref`s resolve against (`#/components/schemas/Name`).
    let root: JSON

    static let assertionKeywords: Set<String> = [
        "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "const", "oneOf", "anyOf", "allOf",
        "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "propertyNames", "format",
    ]
    static let annotationKeywords: Set<String> = ["description", "title", "examples", "default", "deprecated"]
    static let formats: Set<String> = ["date-time", "date", "uuid", "int64", "int32"]

    /// Returns every violation, each with the JSON pointer of the offending value.
    func validate(_ value: JSON, against schema: JSON, at path: String = "") -> [String] {
        guard case .object(let s) = schema else {
            if schema == .bool(true) { return [] }
            if schema == .bool(false) { return ["\(display(path)): no value is allowed here"] }
            return ["\(display(path)): the schema is not an object"]
        }
        var errors: [String] = []
        if let reference = s["$ref"]?.string {
            guard let target = resolve(reference) else { return ["\(display(path)): unresolvable $ref \(reference)"] }
            errors += validate(value, against: target, at: path)
        }
        if let type = s["type"] {
            let allowed = type.array?.compactMap(\.string) ?? [type.string].compactMap { $0 }
            if !allowed.contains(where: { matches(value, type: $0) }) {
                return errors + ["\(display(path)): expected \(allowed.joined(separator: " or ")), got \(kind(value)) \(preview(value))"]
            }
        }
        if let options = s["enum"]?.array, !options.contains(where: { equal($0, value) }) {
            errors.append("\(display(path)): \(preview(value)) is not one of \(options.map(\.description).joined(separator: ", "))")
        }
        if let constant = s["const"], !equal(constant, value) {
            errors.append("\(display(path)): \(preview(value)) is not \(constant)")
        }
        for sub in s["allOf"]?.array ?? [] { errors += validate(value, against: sub, at: path) }
        if let options = s["anyOf"]?.array {
            let results = options.map { validate(value, against: $0, at: path) }
            if !results.contains(where: \.isEmpty) {
                errors.append("\(display(path)): matches none of anyOf: " + results.map { $0.joined(separator: "; ") }.joined(separator: " | "))
            }
        }
        if let options = s["oneOf"]?.array {
            let results = options.map { validate(value, against: $0, at: path) }
            let matching = results.filter(\.isEmpty).count
            if matching != 1 {
                errors.append("\(display(path)): matches \(matching) of oneOf, not exactly one"
                              + (matching == 0 ? ": " + results.map { $0.joined(separator: "; ") }.joined(separator: " | ") : ""))
            }
        }
        switch value {
        case .object(let members):
            errors += validateObject(members, s, at: path)
        case .array(let items):
            if let minimum = s["minItems"]?.int, items.count < minimum { errors.append("\(display(path)): fewer than \(minimum) items") }
            if let maximum = s["maxItems"]?.int, items.count > maximum { errors.append("\(display(path)): more than \(maximum) items") }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { errors += validate(item, against: itemSchema, at: "\(path)/\(i)") }
            }
        case .string(let text):
            errors += validateString(text, s, at: path)
        case .integer(let i):
            if let minimum = s["minimum"]?.int, i < minimum { errors.append("\(display(path)): \(i) is below the minimum \(minimum)") }
            if let maximum = s["maximum"]?.int, i > maximum { errors.append("\(display(path)): \(i) is above the maximum \(maximum)") }
        case .number(let d):
            if let minimum = s["minimum"]?.int, d < Double(minimum) { errors.append("\(display(path)): \(d) is below the minimum \(minimum)") }
            if let maximum = s["maximum"]?.int, d > Double(maximum) { errors.append("\(display(path)): \(d) is above the maximum \(maximum)") }
        default:
            break
        }
        return errors
    }

    private func validateObject(_ members: [String: JSON], _ s: [String: JSON], at path: String) -> [String] {
        var errors: [String] = []
        let properties = s["properties"]?.object ?? [:]
        for name in s["required"]?.array?.compactMap(\.string) ?? [] where members[name] == nil {
            errors.append("\(display(path)): required member '\(name)' is missing")
        }
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            let memberPath = "\(path)/\(name)"
            if let names = s["propertyNames"] { errors += validate(.string(name), against: names, at: memberPath) }
            if let schema = properties[name] {
                errors += validate(member, against: schema, at: memberPath)
            } else if let additional = s["additionalProperties"] {
                if additional == .bool(false) {
                    errors.append("\(display(path)): member '\(name)' is not in the schema")
                } else {
                    errors += validate(member, against: additional, at: memberPath)
                }
            }
        }
        return errors
    }

    private func validateString(_ text: String, _ s: [String: JSON], at path: String) -> [String] {
        var errors: [String] = []
        let length = text.count
        if let minimum = s["minLength"]?.int, length < minimum { errors.append("\(display(path)): shorter than \(minimum) characters") }
        if let maximum = s["maxLength"]?.int, length > maximum { errors.append("\(display(path)): longer than \(maximum) characters") }
        if let pattern = s["pattern"]?.string {
            if let regex = try? NSRegularExpression(pattern: pattern) {
                let range = NSRange(text.startIndex..., in: text)
                if regex.firstMatch(in: text, range: range) == nil {
                    errors.append("\(display(path)): \(preview(.string(text))) does not match \(pattern)")
                }
            } else {
                errors.append("\(display(path)): the pattern \(pattern) does not compile")
            }
        }
        if let format = s["format"]?.string, let expression = Self.formatPatterns[format],
           text.range(of: expression, options: .regularExpression) == nil {
            errors.append("\(display(path)): \(preview(.string(text))) is not a \(format)")
        }
        return errors
    }

    static let formatPatterns: [String: String] = [
        "date-time": #"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#,
        "date": #"^\d{4}-\d{2}-\d{2}$"#,
        "uuid": #"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"#,
    ]

    func resolve(_ reference: String) -> JSON? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSON? = root
        for token in reference.dropFirst(2).split(separator: "/") {
            node = node?[token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        return node
    }

    private func matches(_ value: JSON, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .integer), ("number", .integer), ("number", .number): true
        case ("integer", .number(let d)): d.rounded() == d
        default: false
        }
    }

    private func equal(_ a: JSON, _ b: JSON) -> Bool {
        switch (a, b) {
        case (.integer(let x), .number(let y)), (.number(let y), .integer(let x)): Double(x) == y
        default: a == b
        }
    }

    private func kind(_ value: JSON) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private func preview(_ value: JSON) -> String {
        let text = value.description
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    private func display(_ path: String) -> String { path.isEmpty ? "(root)" : path }

    /// Keywords in any schema of the document that this validator does not implement.
    func unsupportedKeywords() -> [String] {
        var found: Set<String> = []
        func walkSchema(_ schema: JSON, at path: String) {
            guard case .object(let s) = schema else { return }
            for (key, value) in s {
                if !Self.assertionKeywords.contains(key) && !Self.annotationKeywords.contains(key) { found.insert("\(path)/\(key)") }
                switch key {
                case "properties": for (name, sub) in value.object ?? [:] { walkSchema(sub, at: "\(path)/properties/\(name)") }
                case "items", "additionalProperties", "propertyNames": walkSchema(value, at: "\(path)/\(key)")
                case "oneOf", "anyOf", "allOf": for (i, sub) in (value.array ?? []).enumerated() { walkSchema(sub, at: "\(path)/\(key)/\(i)") }
                case "format": if let f = value.string, !Self.formats.contains(f) { found.insert("\(path)/format \(f)") }
                default: break
                }
            }
        }
        for (name, schema) in root["components"]?["schemas"]?.object ?? [:] { walkSchema(schema, at: "#/components/schemas/\(name)") }
        for (name, parameter) in root["components"]?["parameters"]?.object ?? [:] {
            if let schema = parameter["schema"] { walkSchema(schema, at: "#/components/parameters/\(name)/schema") }
        }
        for (path, item) in root["paths"]?.object ?? [:] {
            for (method, operation) in item.object ?? [:] {
                for (i, parameter) in (operation["parameters"]?.array ?? []).enumerated() {
                    if let schema = parameter["schema"] { walkSchema(schema, at: "\(path) \(method) parameters/\(i)") }
                }
                for (status, response) in operation["responses"]?.object ?? [:] {
                    for (type, media) in response["content"]?.object ?? [:] {
                        if let schema = media["schema"] { walkSchema(schema, at: "\(path) \(method) \(status) \(type)") }
                    }
                }
            }
        }
        return found.sorted()
    }
}
