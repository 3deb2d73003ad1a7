@testable import CordonServer
import Testing

/// `AuthMiddleware.bearerSecret` reads the Authorization header on its bytes; it must take the
/// header apart exactly as the split it replaced did.
@Suite struct BearerSecretTests {
    /// The original: split at the first space after the scheme, a case-insensitive "bearer".
    static func reference(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer", parts[1].utf8.count <= 256 else { return nil }
        return String(parts[1])
    }

    @Test func agreesWithTheSplit() {
        var headers = [
            "Bearer abc", "bearer abc", "BEARER abc", "BeArEr x y z", "Bearer  two-spaces", "  Bearer leading", "Bearer",
            "Bearer ", "Bearer  ", " ", "", "Basic abc", "Bearerx abc", "Beare abc", "Bearer\tabc", "Bearer é-ü",
            "Bearér abc", "Bearer " + String(repeating: "s", count: 256), "Bearer " + String(repeating: "s", count: 257),
            "Bearer " + String(repeating: "é", count: 128), "Bearer " + String(repeating: "é", count: 129),
            "Bęarer abc", "B\u{0}arer abc", "\u{42}earer ok", "bearer\u{20}\u{20}", "Bearer a\u{0}b",
        ]
        // Every byte in place of each letter of the scheme.
        for position in 0..<6 {
            for byte in UInt8(1)...UInt8(127) {
                var scheme = Array("bearer".utf8)
                scheme[position] = byte
                headers.append(String(decoding: scheme, as: UTF8.self) + " secret")
            }
        }
        for header in headers {
            #expect(AuthMiddleware.bearerSecret(header) == Self.reference(header), "\(header.debugDescription)")
        }
        #expect(headers.filter { Self.reference($0) != nil }.count > 20)
    }
}
