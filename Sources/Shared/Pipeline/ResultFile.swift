/// A result document read back from its JSON (`ladon-edge infer --json`, `ladon-sink serve --out`; the
/// writer is ResultJSON.swift): the members its readers use, the evaluator scoring saved results and the
/// sink annotating frames after the fact. What a reader needs but finds absent is its own error to name.
struct ResultFile: Decodable {
    struct Frame: Decodable { let width: Int, height: Int, source: String? }
    struct Score: Decodable { let `class`: Int, name: String, prob: Float }
    struct Classification: Decodable { let top5: [Score] }
    struct Segmentation: Decodable { let classes: [String] }
    struct Detection: Decodable { let box: [Float], label: Int, name: String, score: Float }

    let frame: Frame?
    let classification: Classification?
    let segmentation: Segmentation?
    let detection: [Detection]?
    let error: String?

    /// How many numbers the first detection box that is not [x1, y1, x2, y2] has, if there is one.
    var malformedBoxLength: Int? { detection?.first { $0.box.count != 4 }?.box.count }
}
