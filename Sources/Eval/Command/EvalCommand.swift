import Foundation
import LadonEval
import Shared

/// `ladon-eval`: scores a model (or result files) on a labelled data set: top-1, COCO box mAP, mIoU.
enum EvalCommand {
    static let spec = CommandSpec(
        command: "ladon-eval",
        summary: "Score a model on COCO-JSON + VOC-mask ground truth: top-1 accuracy, box mAP@[.5:.95] and mAP@.5, mIoU.",
        options: [
            .value("annotations", "path", help: "COCO-JSON ground truth (images, annotations, categories; optional images[].class).", required: true),
            .value("images", "dir", help: "Folder holding the images' file_name entries (with --model)."),
            .value("masks", "dir", help: "Folder of VOC-style label PNGs named <image stem>.png (optional)."),
            .value("model", "path", help: "Ladon model file to run on each image (encoder, then edge)."),
            .value("results", "dir", help: "Instead of --model: <stem>.json and <stem>.mask.png from 'ladon-edge infer'."),
            .value("match", "name|index", help: "How model labels meet data-set labels (default name; see README)."),
            .value("json", "path", help: "Also write the scores as JSON ('-' for stdout)."),
            .value("threads", "n", help: "Compute threads (default 2)."),
            .flag("quiet", help: "No per-image progress on stderr."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        Compute.setThreads(try options.integer("threads", default: 2))
        let matchText = options.value("match") ?? LabelMatching.byName.rawValue
        guard let matching = LabelMatching(rawValue: matchText) else {
            throw CommandLineError.invalidValue(option: "match", value: matchText, expected: "'name' or 'index'")
        }
        let source: EvaluationRunner.Source
        switch (options.value("model"), options.value("results")) {
        case let (model?, nil):
            guard let images = options.value("images") else { throw CommandLineError.missingOption("images") }
            let file = try LadonModelFile(path: model)
            source = .model(try MobileEncoder(file), try EdgeInference(file), imageFolder: images)
        case let (nil, results?):
            source = .results(folder: results)
        default:
            throw CommandLineError.invalidValue(
                option: "model", value: options.value("model") ?? "",
                expected: "exactly one of --model and --results")
        }
        let dataset = try EvaluationDataset(cocoJSONAt: options.required("annotations"))
        let runner = EvaluationRunner(dataset: dataset, source: source, maskFolder: options.value("masks"))
        let quiet = options.flag("quiet")
        let progress = ProgressLine(total: dataset.images.count)
        let started = PipelineClock.seconds()
        let report = try runner.run(matching: matching) { index, name in
            guard !quiet else { return }
            let line = progress.line(done: index + 1, item: name, elapsed: PipelineClock.seconds() - started)
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        print(report.summary)
        if let path = options.value("json") {
            let json = report.jsonData() + Data("\n".utf8)
            if path == "-" { FileHandle.standardOutput.write(json) } else { try FileIO.write(json, to: path, what: "scores JSON") }
        }
    }
}
