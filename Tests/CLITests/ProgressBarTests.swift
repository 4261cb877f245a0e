// The one progress bar of the CLIs: with a total (bar, rate, ETA) and without (a stream's count).
import Testing
@testable import HyperZooCLI

@Suite struct ProgressBarTests {
    @Test func linesWithAndWithoutATotal() {
        let clear = "\r\u{1B}[2K"
        #expect(ProgressBar.line(label: "converting", unit: "checkpoints", done: 550, total: 1100, elapsed: 0.5)
                == clear + "converting [############............] 550/1100 checkpoints 1100/s ETA 0:01")
        #expect(ProgressBar.line(label: "converting", unit: "checkpoints", done: 1100, total: 1100, elapsed: 1)
                == clear + "converting [########################] 1100/1100 checkpoints 1100/s done")
        #expect(ProgressBar.line(label: "tokenizing", unit: "samples", done: 300, total: nil, elapsed: 2)
                == clear + "tokenizing 300 samples 150/s")
        // A resumed zoo build: the 400 samples done before do not count into the rate; a note follows.
        #expect(ProgressBar.line(label: "training", unit: "samples", done: 500, total: 1000, elapsed: 0.1, since: 400,
                                 note: "epoch 3: mean test acc 0.712")
                == clear + "training [############............] 500/1000 samples 1000/s ETA 0:01  epoch 3: mean test acc 0.712")
        #expect(ProgressBar.line(label: "training", unit: "samples", done: 0, total: 10, elapsed: 1) .hasSuffix("ETA --:--"))
        #expect(ProgressBar.clock(59) == "0:59" && ProgressBar.clock(3725) == "1:02:05")
    }
}
