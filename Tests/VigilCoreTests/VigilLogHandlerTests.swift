import Foundation
import Testing
@testable import VigilCore

@Suite("Log lines")
struct VigilLogHandlerTests {
    let time = Date(timeIntervalSince1970: 1_700_000_000.25)

    @Test("JSON lines carry time, level, logger, message and metadata, escaped")
    func json() {
        let line = VigilLogHandler.line(format: .json, time: time, level: .warning, label: "vigil",
                                        message: "collection \"failed\"\n", metadata: ["target": "pg"])
        #expect(line == "{\"time\":\"2023-11-14T22:13:20.250Z\",\"level\":\"warning\",\"logger\":\"vigil\",\"msg\":\"collection \\\"failed\\\"\\n\",\"target\":\"pg\"}\n")
    }

    @Test("text lines are readable with key=value metadata")
    func text() {
        let line = VigilLogHandler.line(format: .text, time: time, level: .info, label: "vigil",
                                        message: "started", metadata: ["port": "9633", "config": "a b"])
        #expect(line == "2023-11-14T22:13:20.250Z INFO [vigil] started config=\"a b\" port=9633\n")
    }
}
