import Shared

extension ResultMessage {
    /// The topics the sink publishes this result under: one per task that ran, then `<node>/all`.
    public var topics: [String] {
        var ran: [String] = []
        if tasks.classification != nil { ran.append("classification") }
        if tasks.detections != nil { ran.append("detection") }
        if tasks.segmentation != nil { ran.append("segmentation") }
        return (ran + ["all"]).map { "\(header.nodeID)/\($0)" }
    }
}
