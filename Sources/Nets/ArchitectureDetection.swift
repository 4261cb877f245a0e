// Which network a bare parameter table belongs to, for zoos that store no recipe: hz-eval can
// rebuild only the networks whose shapes alone identify them.
import ZooStore

extension ArchitectureSpec {
    /// CNN-s or CNN-m (1 or 3 input channels) whose parameter shapes are those of `table`
    /// (state_dict names may differ: CNN-s with Dropout modules numbers its layers differently);
    /// nil for any other table.
    public static func convolutionalFamily(matching table: ParameterTable) -> (family: ArchitectureFamily, channels: Int)? {
        let candidates: [ArchitectureSpec] = [.cnnS(channels: 1), .cnnS(channels: 3), .cnnM(channels: 1), .cnnM(channels: 3)]
        return candidates.first { $0.parameterTable.hasSameStructure(as: table) }.map { ($0.family, $0.inputChannels) }
    }
}
