/// A view model turned into nested dictionaries and arrays before rendering.
///
/// swift-mustache looks a name up by reflection (`Mirror`) on every object of the context stack, for every tag:
/// on a process page of 32 parties that was 70 % of the request. A `[String: Any]` is a `MustacheParent`
/// (a hash lookup), so the tree is reflected once, here, and the template then only reads dictionaries.
/// The rendering is the same: a nil optional is left out, as the reflected lookup treats it (not found, so the
/// lookup climbs the context stack).
enum MustacheTree {
    static func convert(_ value: Any) -> Any? {
        switch value {
        case is String, is Substring, is Bool, is Int, is Int64, is Int32, is Double, is Character:
            return value
        default:
            break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.flatMap { convert($0.value) }
        case .struct, .class:
            var fields: [String: Any] = [:]
            fields.reserveCapacity(Int(mirror.children.count))
            for child in mirror.children {
                if let label = child.label, let converted = convert(child.value) { fields[label] = converted }
            }
            return fields
        case .collection, .set:
            return mirror.children.compactMap { convert($0.value) }
        case .dictionary:
            var fields: [String: Any] = [:]
            for child in mirror.children {
                let pair = Mirror(reflecting: child.value).children.map(\.value)
                if pair.count == 2, let key = pair[0] as? String, let converted = convert(pair[1]) { fields[key] = converted }
            }
            return fields
        default:
            return value
        }
    }
}
