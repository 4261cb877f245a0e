// ZooLayout: one parameter layout of a zoo file, i.e. one group under `/architectures`.
//
// A file holds one layout, or several that share the parameter *structure* and differ only in
// state_dict names (a "Hyp" grid mixing dropout 0 and 0.5: Dropout modules shift the
// `module_list` indices of CNN-s, not the shapes). Rows of every layout are then the same kind
// of vector, and each model's rows live in exactly one layout's group.

/// A named parameter layout: the group `/architectures/<name>` and its parameter table.
public struct ZooLayout: Sendable, Equatable {
    /// The group name under `/architectures` (letters, digits, `_`, `-`, `.`; no `/`).
    public var name: String
    /// The parameter table with this layout's own state_dict names.
    public var table: ParameterTable

    public init(name: String, table: ParameterTable) {
        self.name = name
        self.table = table
    }

    /// Checks that `layouts` can share one file: at least one, unique valid names, and one
    /// parameter structure (the first layout's).
    /// - Throws: `ZooStoreError` `.invalid` naming the offending group.
    static func checkCompatible(_ layouts: [ZooLayout], path: String) throws {
        guard let first = layouts.first else {
            throw ZooStoreError(.invalid, path: path, message: "a zoo needs at least one architecture (parameter layout)")
        }
        var seen = Set<String>()
        for layout in layouts {
            guard !layout.name.isEmpty, !layout.name.contains("/") else {
                throw ZooStoreError(.invalid, path: path, message: "architecture name '\(layout.name)' must be non-empty and contain no '/'")
            }
            guard seen.insert(layout.name).inserted else {
                throw ZooStoreError(.invalid, path: path, object: "/" + Layout.architecture(layout.name), message: "architecture listed twice")
            }
            guard layout.table.parameterCount > 0 else {
                throw ZooStoreError(.invalid, path: path, object: "/" + Layout.architecture(layout.name), message: "the parameter table is empty")
            }
            try checkStructure(layout, against: first, path: path)
        }
    }

    /// Throws unless `layout` has the parameter structure of `reference`.
    static func checkStructure(_ layout: ZooLayout, against reference: ZooLayout, path: String) throws {
        if let difference = layout.table.structureDifference(from: reference.table) {
            throw ZooStoreError(.invalid, path: path, object: "/" + Layout.architecture(layout.name),
                                message: "parameter structure differs from /\(Layout.architecture(reference.name)): \(difference) (all architectures of one file must share shapes, layers and roles; only names may differ)")
        }
    }
}
