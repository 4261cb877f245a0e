// Sizes read from files are untrusted: a shape of a few huge dimensions must be refused before
// anything is allocated, not wrap around to a small count. Every reader of a shaped format (npy,
// safetensors, torch, IDX, parameter tables) multiplies a shape out, so the one checked product
// lives in the bottom room they all share.

/// The number of elements of `shape` (1 for a scalar's empty shape), or nil if a dimension is
/// negative or the product does not fit in an `Int`.
public func checkedElementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        count = product
    }
    return count
}
