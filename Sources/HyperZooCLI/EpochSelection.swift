// Epoch-list options (`--epochs 0,5,10-12`, `--checkpoint-epochs`, `--anchor-epochs`,
// `--zoo-epochs`) as one typed value, parsed once by the argument parser.
import ArgumentParser
import ZooStore

/// An epoch list as given on the command line: the epochs, and the text for outputs that quote it
/// (`request.epochsText`, "no checkpoints at epochs 21-25").
///
/// Declared with `@Option(transform: EpochSelection.parser("--epochs"))` rather than as an
/// `ExpressibleByArgument`: a failing `init?(argument:)` loses the reason, while the error a
/// transform throws (EpochList's, naming the option and the wrong part) is printed after the
/// parser's "The value 'x' is invalid for '--epochs <list>':", and the command exits 64.
struct EpochSelection: Equatable, Sendable {
    /// The selected epochs.
    let epochs: Set<Int>
    /// The list as the user wrote it.
    let text: String

    /// The epochs of `text`, or EpochList's error naming `option`.
    init(_ text: String, option: String) throws(EpochListError) {
        epochs = try EpochList.parse(text, option: option)
        self.text = text
    }

    /// The epochs in ascending order.
    var sorted: [Int] { epochs.sorted() }

    /// The parse of an option named `option`, for `@Option(transform:)`.
    static func parser(_ option: String) -> @Sendable (String) throws -> EpochSelection {
        { try EpochSelection($0, option: option) }
    }
}
