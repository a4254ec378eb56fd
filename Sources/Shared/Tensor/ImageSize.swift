/// Height and width in pixels.
public struct ImageSize: Sendable, Equatable, Codable {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }
}
