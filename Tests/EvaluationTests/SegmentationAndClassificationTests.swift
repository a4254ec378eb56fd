import Foundation
import LadonEval
import Shared
import TestSupport
import Testing

struct SegmentationAndClassificationTests {
    @Test func mIoUCountsOnlyClassesPresentInGroundTruthOrPredictionAndSkips255() {
        var matrix = ConfusionMatrix()
        // truth: 0 0 1 1 255 ; predicted: 0 1 1 1 2  → class 0: 1/(2+1−1)=0.5, class 1: 2/(2+3−2)=2/3; class 2 only under 255.
        matrix.add(truth: [0, 0, 1, 1, 255], predicted: [0, 1, 1, 1, 2])
        #expect(matrix.intersectionOverUnion.map(\.label) == [0, 1])
        #expect(abs((matrix.meanIntersectionOverUnion ?? -1) - (0.5 + 2.0 / 3.0) / 2) < 1e-12)
        #expect(abs((matrix.pixelAccuracy ?? -1) - 0.75) < 1e-12)
    }

    @Test func aPredictionMatchingNoClassLowersTheIoUOfTheClassItCoversButIsNoClassItself() {
        var matrix = ConfusionMatrix()
        matrix.add(truth: [3, 3, 3, 3], predicted: [3, 3, ConfusionMatrix.unmatched, ConfusionMatrix.unmatched])
        #expect(matrix.intersectionOverUnion.map(\.label) == [3])
        #expect(matrix.meanIntersectionOverUnion == 0.5)
    }

    @Test func anImageThatIsAllIgnoreLeavesMIoUUndefined() {
        var matrix = ConfusionMatrix()
        matrix.add(truth: [255, 255], predicted: [1, 0])
        #expect(matrix.meanIntersectionOverUnion == nil && matrix.pixelAccuracy == nil)
    }

    @Test func aVOCPalettePNGDecodesBackToItsLabels255Included() throws {
        let path = Fixtures.path("evaluation/run/masks/img-0.png")
        let mask = try LabelMask.decode(FileIO.read(path), path: path)
        #expect(mask.size == ImageSize(height: 30, width: 40))
        #expect(Set(mask.labels) == [0, 1, 2, 3, 255])
    }

    @Test func labelsMatchByNormalisedNameOrByPositionWithMatchIndex() {
        let names = [1: "circle", 2: "traffic light", 5: "square"]
        let byName = LabelMatcher(.byName, task: .detection, labels: names)
        #expect(byName.datasetLabel(modelIndex: 9, name: "Traffic_Light") == 2)
        #expect(byName.datasetLabel(modelIndex: 1, name: "blob") == nil)
        let classes = LabelMatcher(.byIndex, task: .classification, labels: names)
        #expect(classes.datasetLabel(modelIndex: 2, name: "x") == 5)
        #expect(classes.datasetLabel(modelIndex: 3, name: "x") == nil)
        #expect(LabelMatcher(.byIndex, task: .detection, labels: names).datasetLabel(modelIndex: 4, name: "x") == 4)
    }

    @Test func topOneCountsTheModelsFirstClassAgainstTheImageLevelClassMatchedByName() throws {
        let dataset = EvaluationDataset(
            categories: [1: "cat", 2: "dog"],
            images: [
                .init(id: 1, fileName: "a.jpg", imageClass: 1, objects: []),
                .init(id: 2, fileName: "b.jpg", imageClass: 2, objects: []),
                .init(id: 3, fileName: "c.jpg", imageClass: nil, objects: []),
            ])
        var evaluation = Evaluation(dataset: dataset)
        let guesses = [("Cat", 0), ("cat", 0), ("dog", 1)]
        for (image, guess) in zip(dataset.images, guesses) {
            let top = ClassScore(classIndex: guess.1, name: guess.0, probability: 1)
            try evaluation.add(image, TaskResults(classification: Classification(top: [top])), truthMask: nil)
        }
        #expect(evaluation.classified == 2)
        #expect(evaluation.topOneAccuracy == 0.5)
    }

    @Test func aPredictedMapOfAnotherSizeThanTheMaskIsAnErrorNamingTheImageNotACrash() {
        let dataset = EvaluationDataset(categories: [1: "a"], images: [.init(id: 1, fileName: "a.jpg", imageClass: nil, objects: [])])
        var evaluation = Evaluation(dataset: dataset)
        let map = SegmentationMap(size: ImageSize(height: 1, width: 2), labels: [0, 0], classNames: ["background"])
        #expect(throws: EvaluationError.self) {
            try evaluation.add(
                dataset.images[0], TaskResults(segmentation: map),
                truthMask: ([0, 0, 0], ImageSize(height: 1, width: 3)))
        }
    }

    @Test func annotationsWithoutAnImagesArrayAreRefusedWithAOneLineReason() {
        #expect(throws: EvaluationError.badAnnotations(path: "x.json", reason: "no 'images' array")) {
            try EvaluationDataset(cocoJSON: Data("{\"annotations\": []}".utf8), path: "x.json")
        }
    }
}
