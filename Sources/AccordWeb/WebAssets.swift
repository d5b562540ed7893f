import Hummingbird
import HTTPTypes
import Mustache
import NIOCore

/// The page templates, style sheet and script, embedded in the binary (no external resources: the page works
/// on an air-gapped network).
enum WebAssets {
    static let templates: [String: [UInt8]] = [
        "header": PackageResources.header_mustache,
        "footer": PackageResources.footer_mustache,
        "processes": PackageResources.processes_mustache,
        "process": PackageResources.process_mustache,
        "parties": PackageResources.parties_mustache,
        "party": PackageResources.party_mustache,
        "signin": PackageResources.signin_mustache,
        "error": PackageResources.error_mustache,
    ]

    static let css = PackageResources.app_css
    static let javascript = PackageResources.app_js

    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, bytes) in templates {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        return library
    }

    static func response(_ bytes: [UInt8], type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300", .xContentTypeOptions: "nosniff"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
