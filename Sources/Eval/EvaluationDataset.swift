import Foundation
import Shared

/// Ground truth read from COCO-JSON: `images` (id, file_name, optional image-level `class` given as a
/// category id or name), `annotations` (image_id, category_id, bbox [x, y, w, h], iscrowd) and
/// `categories` (id, name). Crowd annotations are dropped rather than treated as ignore regions.
public struct EvaluationDataset: Sendable {
    public struct Box: Sendable, Equatable {
        public var x: Double, y: Double, width: Double, height: Double

        public init(x: Double, y: Double, width: Double, height: Double) {
            (self.x, self.y, self.width, self.height) = (x, y, width, height)
        }
    }

    public struct Object: Sendable, Equatable {
        public var category: Int
        public var box: Box

        public init(category: Int, box: Box) {
            self.category = category
            self.box = box
        }
    }

    public struct Image: Sendable {
        public var id: Int
        public var fileName: String
        /// The image-level class as a category id, when the annotations give one.
        public var imageClass: Int?
        public var objects: [Object]

        public init(id: Int, fileName: String, imageClass: Int?, objects: [Object]) {
            (self.id, self.fileName, self.imageClass, self.objects) = (id, fileName, imageClass, objects)
        }
    }

    /// Category id → name.
    public var categories: [Int: String]
    /// In ascending id order.
    public var images: [Image]

    public init(categories: [Int: String], images: [Image]) {
        self.categories = categories
        self.images = images.sorted { $0.id < $1.id }
    }

    /// Segmentation label → name: 0 is background, k is category k (VOC and shapes-world masks).
    public var maskClassNames: [Int: String] {
        var names = categories
        if names[0] == nil { names[0] = "background" }
        return names
    }

    public init(cocoJSON data: Data, path: String) throws(EvaluationError) {
        func bad(_ reason: String) -> EvaluationError { .badAnnotations(path: path, reason: reason) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        guard let images = root["images"] as? [[String: Any]] else { throw bad("no 'images' array") }
        var categories: [Int: String] = [:]
        for entry in root["categories"] as? [[String: Any]] ?? [] {
            guard let id = Self.integer(entry["id"]), let name = entry["name"] as? String else {
                throw bad("a category lacks an integer 'id' or a 'name'")
            }
            categories[id] = name
        }
        let byName = Dictionary(categories.map { (LabelMatcher.normalised($0.value), $0.key) }) { first, _ in first }
        var parsed: [Int: Image] = [:]
        for entry in images {
            guard let id = Self.integer(entry["id"]), let fileName = entry["file_name"] as? String else {
                throw bad("an image lacks an integer 'id' or a 'file_name'")
            }
            var imageClass: Int?
            switch entry["class"] {
            case let name as String:
                guard let id = byName[LabelMatcher.normalised(name)] else { throw bad("image \(id) has unknown class '\(name)'") }
                imageClass = id
            case let value?: imageClass = Self.integer(value)
            case nil: imageClass = nil
            }
            guard parsed[id] == nil else { throw bad("image id \(id) appears twice") }
            parsed[id] = Image(id: id, fileName: fileName, imageClass: imageClass, objects: [])
        }
        for entry in root["annotations"] as? [[String: Any]] ?? [] {
            guard let imageID = Self.integer(entry["image_id"]), let category = Self.integer(entry["category_id"]),
                let bbox = entry["bbox"] as? [Any], bbox.count == 4
            else {
                throw bad("an annotation lacks 'image_id', 'category_id' or a 4-number 'bbox'")
            }
            let numbers = bbox.compactMap { ($0 as? NSNumber)?.doubleValue }
            guard numbers.count == 4, numbers.allSatisfy(\.isFinite) else { throw bad("bbox \(bbox) is not 4 numbers") }
            guard parsed[imageID] != nil else { throw bad("annotation for unknown image \(imageID)") }
            if Self.integer(entry["iscrowd"]) == 1 { continue }
            parsed[imageID]?.objects.append(
                Object(category: category, box: Box(x: numbers[0], y: numbers[1], width: numbers[2], height: numbers[3])))
        }
        self.init(categories: categories, images: Array(parsed.values))
    }

    public init(cocoJSONAt path: String) throws {
        try self.init(cocoJSON: Data(FileIO.read(path, what: "annotations")), path: path)
    }

    private static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber, let exact = Int(exactly: number.doubleValue) else { return nil }
        return exact
    }
}
