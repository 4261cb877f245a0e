// hz-archive create's work as a library call, and the run outcome hz-pipeline prints: no subprocess.
import Archive
import Foundation
import Pipeline
import Testing
import TestSupport
import ZooStore

@Suite struct ArchiveCreationTests {
    @Test func aRequestArchivesItsInputsWithTheReportSummaryAndThePopulationsModels() throws {
        let dir = TemporaryDirectory()
        _ = try makeFiles(dir)
        let report = dir.path("report.json")
        try Data(#"{"summary": {"best": "S_KDE30"}, "populations": []}"#.utf8).write(to: URL(fileURLWithPath: report))
        let table = try ParameterTable(stateDict: [("w", [2, 3]), ("b", [2])])
        let zoo = dir.path("pop.h5")
        let writer = try ZooWriter.create(path: zoo, architecture: "tiny", table: table, format: .population)
        for m in 0..<2 {
            try writer.addModel(ModelRecord(id: "sample-\(m)", seed: nil, dataset: nil, split: .test))
            try writer.appendCheckpoint(model: "sample-\(m)", epoch: 0, row: (0..<8).map { Float($0 + m) })
        }
        try writer.finish()

        var request = ArchiveRequest(output: dir.path("a.tar.zst"), format: .tarZstd)
        request.inputs = [dir.path("population")]; request.report = report; request.population = zoo
        request.name = "demo"; request.createdBy = "hyperzoo test"; request.threads = 2
        let manifest = try PopulationArchiver.create(request)
        #expect(manifest.evaluation == ["best": "S_KDE30"] && manifest.name == "demo" && manifest.createdBy == "hyperzoo test")
        #expect(manifest.models.count == 2)
        let paths = try ArchiveReader.list(path: request.output).map(\.path)
        #expect(paths.contains("report.json") && paths.contains("pop.h5") && paths.contains("population/report.json"))
        #expect(paths.filter { $0.hasPrefix("models/") && $0.hasSuffix(".safetensors") }.count == 2)
        #expect(try PopulationArchiver.verify(archive: request.output).isValid)
        // The staging folder of the safetensors exports is gone; an existing archive needs force.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).allSatisfy { !$0.contains(".models-") })
        #expect(throws: ArchiveError.self) { try PopulationArchiver.create(request) }
        request.force = true
        #expect(try PopulationArchiver.create(request) == manifest)
    }

    @Test func theReportSummaryIsReadFromTheFirstReportAmongTheResults() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path("eval"), withIntermediateDirectories: true)
        try Data(#"{"summary": ["S_KDE30 beats B_T", "at epoch 5"]}"#.utf8).write(to: URL(fileURLWithPath: dir.path("eval/report.json")))
        #expect(ReportSummary.lines(resultPaths: [dir.path("nothing"), dir.path("eval/report.html")])
                == ["outcome (\(dir.path("eval/report.json"))):", "  S_KDE30 beats B_T", "  at epoch 5"])
        #expect(ReportSummary.lines(resultPaths: [dir.path("eval")]).count == 3)
        #expect(ReportSummary.lines(resultPaths: [dir.path("nothing")]).isEmpty)
    }
}
