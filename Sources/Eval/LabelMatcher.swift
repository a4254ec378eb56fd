import Shared

/// How a model's label indices are matched to a data set's labels.
///
/// - `byName` (default): a model class answers for the data-set class with the same name after
///   lower-casing and dropping spaces, `_` and `-` (so `__background__` = `background`, `Traffic light` =
///   `traffic_light`). A model class with no namesake counts as wrong: a wrong image class, a detection that
///   no category evaluates, a segmentation pixel that matches no class.
/// - `byIndex`: positional, as torchvision trains: detection label k = category id k, segmentation label k
///   = mask value k, classification index k = the k-th category in ascending id order.
public enum LabelMatching: String, Sendable, CaseIterable {
    case byName = "name"
    case byIndex = "index"
}

public struct LabelMatcher: Sendable {
    public enum Task: Sendable { case classification, detection, segmentation }

    public let matching: LabelMatching
    let task: Task
    let byName: [String: Int]
    let sortedIDs: [Int]

    /// `labels`: the data set's label → name for this task.
    public init(_ matching: LabelMatching, task: Task, labels: [Int: String]) {
        self.matching = matching
        self.task = task
        byName = Dictionary(labels.map { (Self.normalised($0.value), $0.key) }) { first, _ in first }
        sortedIDs = labels.keys.sorted()
    }

    /// The data-set label a model's class answers for, or nil when it has none.
    public func datasetLabel(modelIndex: Int, name: String) -> Int? {
        switch matching {
        case .byName: return byName[Self.normalised(name)]
        case .byIndex:
            guard task == .classification else { return modelIndex }
            return sortedIDs.indices.contains(modelIndex) ? sortedIDs[modelIndex] : nil
        }
    }

    public static func normalised(_ name: String) -> String {
        String(name.lowercased().filter { !" _-".contains($0) })
    }
}
