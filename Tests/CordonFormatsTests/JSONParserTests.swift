import CordonCore
import CordonFormats
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser().parse(Array(text.utf8), file: "t.json") }

    @Test func numbersAreCorrectlyRounded() throws {
        var literals = ["0", "-0", "1", "117.1145371", "36.688005", "1e22", "1e23", "-2.5e-308", "4.9e-324", "1.7976931348623157e308",
                        "0.1", "0.30000000000000004", "123456789012345678901234567890", "9007199254740993", "1e-400", "1e400"]
        var state: UInt64 = 7
        for _ in 0..<3000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let v = Double(bitPattern: state >> 2 | 0x3000_0000_0000_0000) * (state & 1 == 0 ? 1 : -1)
            literals.append(String(v))
            literals.append(String(format7: Double(state % 3_600_000_000) / 1e7))
        }
        for literal in literals {
            let parsed = try parse("[\(literal)]")
            #expect(parsed == .array([.number(Double(literal) ?? .nan)]), "\(literal)")
        }
    }

    /// `parseDecimal` (CSV, NDJSON and GPX fields, the evaluate fast path) against Swift's own
    /// correctly rounded parser, on random literals: signs, leading zeros, more than 19 digits,
    /// fractions without an integer part and the reverse, exponents; and on what it must refuse.
    @Test func parseDecimalMatchesSwiftsParser() {
        func parse(_ text: String) -> Double? { Array(text.utf8).withUnsafeBufferPointer { parseDecimal($0) } }
        var state: UInt64 = 20_261_122
        func next(_ n: UInt64) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % n)
        }
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(next(10) < 3 ? 0 : next(10))) })
        }
        var literals = ["0", "-0", "+0", "00", "0.0", ".5", "5.", "-.5", "0.000", "000123.4500", "1e5", "1E-5", "2.5e+3",
                        "39.9123456", "-116.4012345", "1234567890123456789", "12345678901234567890123", "0.00000000000000000000123",
                        "9007199254740993", "1.7976931348623157e308", "4.9e-324", "1e-400", "1e400", "123456789012345678901e-20",
                        // The edges of the one-pass path: 2^53 and one below, 19 and 20 digits, 22 and 23
                        // digits after the point, 21 characters, a point alone after a sign.
                        "9007199254740992", "9007199254740991", "-900719925474099.1", "1234567890123456789", "12345678901234567890",
                        "0.0000000000000000000001", "0.00000000000000000000001", "-1.000000000000000000001", "+.0000000000000000000001",
                        // The word path: parts of up to 8 digits in fields of at least 8 bytes.
                        "12345678.12345678", "-12345678.1234567", "+1.23456", "-1.234567", "1234567.", ".1234567", "00000000.00000001",
                        "9999999.99999999", "99999999.99999999", "12345678", "-1234567", "39.9123456", "116.4012345", "123456789.1234567"]
        for _ in 0..<20_000 {
            var t = ["", "-", "+"][next(3)]
            let whole = next(4) == 0 ? 0 : next(25)
            let fraction = next(3) == 0 ? -1 : next(25)
            t += digits(whole)
            if fraction >= 0 { t += "." + digits(fraction) }
            if whole == 0 && fraction <= 0 { t += "7" }
            if next(4) == 0 { t += ["e", "E"][next(2)] + ["", "-", "+"][next(3)] + String(next(340)) }
            literals.append(t)
        }
        for literal in literals {
            let expected = Double(literal)
            #expect(expected != nil, "the generator made \(literal)")
            #expect(parse(literal)?.bitPattern == expected?.bitPattern, "\(literal)")
        }
        for refused in ["", "-", "+", ".", "-.", "+-1", "1..", "..1", "1.-", "1234567:", "12345678.1234567a", "1.2.34567", "1234/678.5", "1234567\u{0}",
                        "12345678.12345,78", "-1234567.123456-", "e5", "1e", "1e+", "--1", "1.2.3", "1,5", " 1", "1 ", "0x10", "nan", "inf", "1e5.5", "١"] {
            #expect(parse(refused) == nil, "\(refused)")
        }
    }

    @Test func stringsAndEscapes() throws {
        #expect(try parse(#""a\"b\\c\/\n\u00e9\ud83d\ude00""#) == .string("a\"b\\c/\né😀"))
        #expect(try parse("\"名前\"") == .string("名前"))
    }

    @Test(arguments: [
        ("{\"a\":1,}", 1, 8, "expected a member name in quotes, found '}'"),
        ("{\"a\":1\n\"b\":2}", 2, 1, "expected ',' or '}'"),
        ("[1,2", 1, 5, "truncated"),
        ("{\"a\":1,\"a\":2}", 1, 8, "duplicate member name \"a\""),
        ("[01]", 1, 2, "leading zero"),
        ("[1.]", 1, 4, "expected a digit after '.'"),
        ("[\"\\x\"]", 1, 3, "invalid escape"),
        ("[\"\\ud800\"]", 1, 9, "unpaired surrogate"),
        ("[tru]", 1, 2, "invalid literal"),
        ("[1] [2]", 1, 5, "after the JSON value"),
        ("", 1, 1, "truncated"),
    ])
    func reportsErrorsWithPosition(_ text: String, _ line: Int, _ column: Int, _ fragment: String) {
        do throws(FormatError) {
            _ = try JSONParser().parse(Array(text.utf8), file: "t.json")
            Issue.record("parsed \(text)")
        } catch {
            guard case .syntax(let file, let l, let c, let message) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(file == "t.json" && l == line && c == column, "\(text): \(l):\(c) \(message)")
            #expect(message.contains(fragment), "\(message)")
        }
    }

    /// A UTF-16 file (as some Windows editors save) is named as such, not as a stray byte.
    @Test func utf16IsRefusedByName() throws {
        for bom: [UInt8] in [[0xFF, 0xFE], [0xFE, 0xFF]] {
            let bytes = bom + Array("{}".utf16).flatMap { bom[0] == 0xFF ? [UInt8($0 & 0xFF), UInt8($0 >> 8)] : [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            #expect { try JSONParser().parse(bytes, file: "w.geojson") } throws: { "\($0)".contains("UTF-16") }
        }
        #expect(try JSONParser().parse([0xEF, 0xBB, 0xBF] + Array("[]".utf8), file: "x") == .array([]))
    }

    @Test func depthIsLimited() throws {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(throws: FormatError.self) { try parse(deep) }
        #expect(try JSONParser(maximumDepth: 3).parse(Array("[[[]]]".utf8), file: "x") == .array([.array([.array([])])]))
    }

    @Test func writerRoundTrips() throws {
        let value = try parse(#"{"b":[1,2.5,-3e-7,true,null],"a":{"x":"q\"\n\u0001"},"n":12345678901}"#)
        #expect(try parse(JSONWriter().string(value)) == value)
        #expect(try parse(JSONWriter(indent: 2).string(value)) == value)
        #expect(JSONWriter().string(value) == #"{"b":[1,2.5,-3e-07,true,null],"a":{"x":"q\"\n\u0001"},"n":12345678901}"#)
    }

    /// `quote` copies a string that needs no escape whole and escapes the others: each of the
    /// 128 ASCII bytes alone, in the middle and at either end of a string, and text beyond ASCII,
    /// must read back as itself; only `"`, `\` and control characters are escaped.
    @Test func quotedStringsReadBack() throws {
        var texts = ["", "V0001", "é车辆", "e\u{301}", String(repeating: "x", count: 300)]
        for b in 0..<128 {
            let c = String(UnicodeScalar(UInt8(b)))
            texts += [c, "ab" + c + "cd", c + "é", "é" + c]
        }
        for text in texts {
            var bytes: [UInt8] = []
            JSONWriter.quote(text, into: &bytes)
            #expect(try parse(String(decoding: bytes, as: UTF8.self)) == .string(text), "\(text.debugDescription)")
            let escaped = text.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
            #expect((bytes.count == text.utf8.count + 2) == !escaped, "\(text.debugDescription)")
        }
    }
}

extension String {
    /// A number with 7 decimals, like the shared zone files.
    init(format7 v: Double) {
        let scaled = Int64((v * 1e7).rounded())
        let whole = scaled / 10_000_000, frac = scaled % 10_000_000
        let f = String(frac)
        self = "\(whole)." + String(repeating: "0", count: 7 - f.count) + f
    }
}
