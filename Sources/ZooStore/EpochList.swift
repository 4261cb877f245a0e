// EpochList: the one parser for epoch lists such as `0,21-25`, used by every command that selects
// or keeps checkpoints by epoch.
import Foundation

/// A set of epochs written as comma-separated epochs and inclusive ranges: `0,5,10-12`.
public enum EpochList {
    /// The largest range accepted; a list expands to at most this many epochs, so a typo such as
    /// `0-99999999999` is an error instead of an allocation.
    public static let maximumCount = 1_000_000

    /// The epochs of `text`, or an error naming `option` and the part that is wrong.
    public static func parse(_ text: String, option: String) throws(EpochListError) -> Set<Int> {
        var result = Set<Int>()
        for rawPart in text.split(separator: ",", omittingEmptySubsequences: false) {
            let part = rawPart.trimmingCharacters(in: .whitespaces)
            let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 1, let e = bounds[0], e >= 0 {
                result.insert(e)
            } else if bounds.count == 2, let a = bounds[0], let b = bounds[1], 0 <= a, a <= b, b - a < maximumCount {
                result.formUnion(a...b)
            } else {
                throw EpochListError(message: "\(option): '\(part)' is not an epoch or a range like 21-25")
            }
            if result.count > maximumCount { throw EpochListError(message: "\(option): more than \(maximumCount) epochs") }
        }
        if result.isEmpty { throw EpochListError(message: "\(option): no epochs given") }
        return result
    }
}

/// A malformed epoch list; `description` is one line that names the option.
public struct EpochListError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
