import Crypto
import Foundation
public import CordonCore
import GRDB

/// What a bearer token may do (docs/http-api.md): `admin` manages zone sets; `vehicle` evaluates
/// positions (for one vehicle when bound); `owner` reads one vehicle's directive history.
/// A value; `Sendable`.
public enum TokenRole: String, Sendable, Hashable, CaseIterable {
    case admin
    case vehicle
    case owner
}

/// A stored token's public description (never the secret). A value; `Sendable`.
public struct TokenInfo: Sendable, Hashable {
    /// Short public id (`tok_` + 12 hex digits), for listings and revocation.
    public var id: String
    public var name: String
    public var role: TokenRole
    /// The vehicle the token is bound to; required for `owner`, optional for `vehicle`.
    public var vehicleID: String?
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    public var isRevoked: Bool { revokedAt != nil }
}

extension ZoneStore {
    /// Creates a token and returns its secret (shown once; only its SHA-256 is stored) and its
    /// description. An `owner` token needs a vehicle id.
    public func createToken(name: String, role: TokenRole, vehicleID: String?) throws(StoreError) -> (secret: String, info: TokenInfo) {
        guard !name.isEmpty, name.count <= 128 else { throw .conflict("a token name must have 1 to 128 characters") }
        if role == .owner && vehicleID == nil { throw .conflict("an owner token must be bound to a vehicle (--vehicle ID)") }
        if role == .admin && vehicleID != nil { throw .conflict("an admin token cannot be bound to a vehicle") }
        if let v = vehicleID, let problem = VehicleID.problem(v) {
            throw .conflict("the vehicle id \(problem) (1 to 128 bytes of UTF-8, no control characters)")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = "cordon_" + (0..<32).map { _ in Self.hex(UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        let id = "tok_" + (0..<6).map { _ in Self.hex(UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        let info = TokenInfo(id: id, name: name, role: role, vehicleID: vehicleID, createdAt: Self.now(), revokedAt: nil)
        try write { db in
            try db.execute(
                sql: "INSERT INTO api_token(id, name, role, vehicle_id, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [id, name, role.rawValue, vehicleID, Self.tokenHash(secret), info.createdAt.iso8601])
        }
        return (secret, info)
    }

    /// The live (not revoked) token with this secret, or nil.
    public func token(secret: String) throws(StoreError) -> TokenInfo? {
        let hash = Self.tokenHash(secret)
        return try read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM api_token WHERE hash = ? AND revoked_at IS NULL"), arguments: [hash]
            ).flatMap(Self.tokenInfo)
        }
    }

    /// Every token, oldest first.
    public func tokens() throws(StoreError) -> [TokenInfo] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY created_at, id").compactMap(Self.tokenInfo)
        }
    }

    /// The ids of the tokens revoked at or after `since` (by the store's clock, which
    /// `revokeToken` stamps), for a cache that drops them.
    public func tokenIDs(revokedSince since: Timestamp) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM api_token WHERE revoked_at IS NOT NULL AND revoked_at >= ?"),
                arguments: [since.iso8601])
        }
    }

    /// Revokes the token with this id, or the only live token with this name.
    @discardableResult
    public func revokeToken(_ idOrName: String) throws(StoreError) -> TokenInfo {
        let at = Self.now()
        return try write { db in
            var rows = try Row.fetchAll(db, sql: "SELECT * FROM api_token WHERE id = ?", arguments: [idOrName])
            if rows.isEmpty {
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM api_token WHERE name = ? AND revoked_at IS NULL", arguments: [idOrName])
            }
            guard let row = rows.first else { throw StoreError.notFound("no live token with id or name \"\(idOrName)\"") }
            guard rows.count == 1 else {
                throw StoreError.conflict("\(rows.count) live tokens are named \"\(idOrName)\"; revoke one by its id")
            }
            guard var info = Self.tokenInfo(row) else { throw StoreError.corrupt("token \(idOrName) has an unknown role") }
            guard info.revokedAt == nil else { throw StoreError.conflict("token \(info.id) is already revoked") }
            try db.execute(sql: "UPDATE api_token SET revoked_at = ? WHERE id = ?", arguments: [at.iso8601, info.id])
            info.revokedAt = at
            return info
        }
    }

    private static func tokenInfo(_ row: Row) -> TokenInfo? {
        guard let role = TokenRole(rawValue: row["role"]) else { return nil }
        let revoked: String? = row["revoked_at"]
        return TokenInfo(
            id: row["id"], name: row["name"], role: role, vehicleID: row["vehicle_id"],
            createdAt: Timestamp(iso8601: row["created_at"]) ?? Timestamp(millisecondsSinceEpoch: 0),
            revokedAt: revoked.flatMap { Timestamp(iso8601: $0) })
    }

    static func tokenHash(_ secret: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in SHA256.hash(data: Array(secret.utf8)) {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ b: UInt8) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}
