import Cordon
import CordonTestSupport
import Foundation
import Testing

/// Every file in zones/invalid/ is refused with exactly the errors in its `.expected` twin.
@Suite struct InvalidCorpusTests {
    static let directory = Fixtures.path("zones/invalid")

    static var files: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasSuffix(".expected") && !$0.hasPrefix(".") }.sorted()
    }

    @Test func corpusIsLargeAndPaired() {
        #expect(Self.files.count >= 30)
        for name in Self.files {
            let expected = (name as NSString).deletingPathExtension + ".expected"
            #expect(FileManager.default.fileExists(atPath: "\(Self.directory)/\(expected)"), "\(name) has no .expected")
        }
    }

    @Test(arguments: files)
    func refusedWithTheExpectedErrors(_ name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/\(name)")))
        let report = ZoneCatalog.prepare(sources: [(name, bytes)], options: ImportOptions())
        let expected = try String(contentsOfFile: "\(Self.directory)/\((name as NSString).deletingPathExtension).expected", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(report.errors.map(\.description) == expected)
        #expect(report.hasErrors)
        #expect(!ZoneCatalog.mayStore(report, options: ImportOptions()))
    }
}
