// The one progress bar of the CLIs: with a total (bar, rate, ETA) and without (a stream's count).
import Testing
@testable import HyperZooCLI

@Suite struct ProgressBarTests {
    @Test func linesWithAndWithoutATotal() {
        #expect(ProgressBar.line(label: "converting", unit: "checkpoints", done: 550, total: 1100, elapsed: 0.5)
                == "\rconverting [############............] 550/1100 checkpoints 1100/s ETA 0:01   ")
        #expect(ProgressBar.line(label: "converting", unit: "checkpoints", done: 1100, total: 1100, elapsed: 1)
                == "\rconverting [########################] 1100/1100 checkpoints 1100/s done   ")
        #expect(ProgressBar.line(label: "tokenizing", unit: "samples", done: 300, total: nil, elapsed: 2)
                == "\rtokenizing 300 samples 150/s   ")
    }
}
