import CordonCore
import Testing

@testable import CordonFormats

/// `CSVFields`, the RFC 4180 splitter every CSV reader uses.
@Suite struct CSVFieldsTests {
    /// SplitMix64: a fixed sequence, so the run is the same on every machine.
    struct Mix {
        var state: UInt64
        mutating func below(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    /// `fieldEnd` reads eight bytes at a time: it must stop where a byte-by-byte scan stops,
    /// whatever the bytes (commas and line feeds anywhere, bytes ≥ 0x80, zeros).
    @Test func fieldEndEqualsAByteByByteScan() {
        var r = Mix(state: 0x6669_656C_64)
        let alphabet: [UInt8] = [44, 10, 13, 0, 1, 0x2B, 0x2D, 0x0B, 0x80, 0xAC, 0xFF, 0x8A, 48, 65, 34]
        for _ in 0..<3_000 {
            let bytes = (0..<r.below(70)).map { _ in r.below(3) == 0 ? alphabet[r.below(alphabet.count)] : UInt8(r.below(256)) }
            bytes.withUnsafeBufferPointer { b in
                for start in 0...b.count {
                    let n = start + r.below(b.count - start + 1)
                    var naive = start
                    while naive < n, b[naive] != 44, b[naive] != 10 { naive += 1 }
                    #expect(CSVFields.fieldEnd(b, from: start, to: n) == naive, "\(bytes) from \(start) to \(n)")
                }
            }
        }
    }

    /// Each row's texts, its end, whether it is blank, and the line after it.
    func rows(_ text: String) -> [([String], CSVFields.RowEnd, Bool, Int)] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { b in
            var i = 0, line = 1
            var out: [([String], CSVFields.RowEnd, Bool, Int)] = []
            while i < b.count {
                let (fields, end) = CSVFields.row(b, from: &i, to: b.count, line: &line)
                line += 1
                out.append((fields.map { CSVFields.text(b, $0) }, end, end.isBlank(first: fields[0]), line))
            }
            return out
        }
    }

    @Test func quotedFieldsLineEndsAndBlankLines() {
        let r = rows("a,\"b,\"\"c\"\"\nd\",e\r\n\r\n\"x\"junk,y\n\"open,z")
        // A quoted empty field is a row, not a blank line.
        #expect(rows("\"\"\n")[0].2 == false)
        #expect(r.map(\.0) == [["a", "b,\"c\"\nd", "e"], [""], ["x", "y"], ["open,z"]])
        #expect(r.map(\.1.lineFeed) == [true, true, true, false])
        #expect(r.map(\.1.unclosedQuote) == [false, false, false, true])
        #expect(r.map(\.2) == [false, true, false, false])
        #expect(r.map(\.3) == [3, 4, 5, 6])  // the quoted line break counts as a line
        #expect(CSVFields.escape("a,1") == "\"a,1\"" && CSVFields.escape("say \"hi\"") == "\"say \"\"hi\"\"\"" && CSVFields.escape("V1") == "V1")
    }
}

/// Query points: spaces and tabs around lat and lon are not part of them; a file separated by
/// semicolons is refused saying so.
@Suite struct PointsCSVTests {
    @Test func spacesAroundNumbersAndOtherSeparators() throws {
        let spaced = try PointsCSV.read(Array("id, lat ,lon\r\n1, 39.9,\t116.4 \r\n 2 ,-1e-3 , 0\n".utf8), file: "p.csv")
        #expect(spaced.ids == ["1", " 2 "])
        #expect(spaced.coordinates == [Coordinate(longitude: 116.4, latitude: 39.9), Coordinate(longitude: 0, latitude: -0.001)])
        #expect {
            try PointsCSV.read(Array("id,lat,lon\n1,39 .9,116\n".utf8), file: "p.csv")
        } throws: { error in
            "\(error)".contains("lat is not a number")
        }
        #expect {
            try PointsCSV.read(Array("id;lat;lon\n1;39,9;116,4\n".utf8), file: "p.csv")
        } throws: { error in
            "\(error)".contains("(found: id;lat;lon) (fields are separated by commas, not \";\")")
        }
        #expect(CSVFields.separatorHint(["a\tb"]) == " (fields are separated by commas, not tabs)")
        #expect(CSVFields.separatorHint(["a", "b;c"]).isEmpty)
    }
}
