// Parameters in one flat buffer with named views (llm.c's malloc_and_point_parameters).
//
// A model lists its tensors once (name and shape); `FlatParameters` makes one allocation for
// the values and one for the gradients, and hands out each tensor as an offset into them.
// Optimizers then update the whole model in one loop over `count` floats.

/// A named tensor inside a flat parameter buffer.
public struct ParameterView: Sendable, Equatable {
    /// The tensor's name, e.g. `module_list.0.weight`.
    public let name: String
    /// Its shape, row-major.
    public let shape: [Int]
    /// Where it starts in the flat buffer, in elements.
    public let offset: Int
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// Values and gradients of a model's parameters, each in one contiguous Float buffer.
/// Not Sendable: passes write both buffers in place, so one thread at a time uses a model.
public final class FlatParameters {
    /// The tensors in declaration order.
    public let views: [ParameterView]
    /// Total number of parameters.
    public let count: Int
    /// All values, [count].
    public let values: UnsafeMutablePointer<Float>
    /// All gradients, [count]; backward passes accumulate into it, `zeroGradients()` clears it.
    public let gradients: UnsafeMutablePointer<Float>

    private let index: [String: Int]

    /// Lays out `tensors` one after another, values and gradients zero.
    public init(_ tensors: [(name: String, shape: [Int])]) {
        var views: [ParameterView] = []
        var offset = 0
        for (name, shape) in tensors {
            views.append(ParameterView(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.views = views
        self.count = offset
        self.values = .allocate(capacity: max(offset, 1))
        self.values.initialize(repeating: 0, count: max(offset, 1))
        self.gradients = .allocate(capacity: max(offset, 1))
        self.gradients.initialize(repeating: 0, count: max(offset, 1))
        var index: [String: Int] = [:]
        for (i, v) in views.enumerated() { index[v.name] = i }
        self.index = index
    }

    deinit {
        values.deallocate()
        gradients.deallocate()
    }

    /// The view called `name`; a missing name is a programming error.
    public func view(_ name: String) -> ParameterView {
        guard let i = index[name] else { preconditionFailure("no parameter named \(name)") }
        return views[i]
    }

    /// Whether a tensor called `name` exists.
    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// Pointer to the values of tensor `name`.
    public func value(_ name: String) -> UnsafeMutablePointer<Float> { values + view(name).offset }

    /// Pointer to the gradient of tensor `name`.
    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> { gradients + view(name).offset }

    /// Sets every gradient to zero (backward passes accumulate).
    public func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// A copy of all values.
    public func valuesArray() -> [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }

    /// Overwrites all values from `flat` (which must hold `count` floats).
    public func load(_ flat: [Float]) {
        precondition(flat.count == count, "expected \(count) parameters, got \(flat.count)")
        flat.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) }
    }
}
