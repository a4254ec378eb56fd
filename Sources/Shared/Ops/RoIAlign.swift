import Foundation

/// torchvision `roi_align` (aligned=False, He et al., 2017) on channels-last features: each output bin
/// averages a grid of bilinear samples (`samplingRatio`² per bin, or ⌈roi size / bins⌉ when ≤ 0); RoIs
/// are at least 1x1 feature pixels; samples more than one pixel outside the map contribute zero.
///
/// The sample positions and weights are torchvision's float32 arithmetic; each channel accumulates its
/// samples in the kernel's order, so results match to the last bit up to the features themselves.
/// Channels-last makes each sample a contiguous vector over channels.
/// Layout: feature [H, W, C], boxes in image pixels → output [R, bins, bins, C].
public enum RoIAlign {
    /// One tap set: four feature offsets (pixel · C) and their bilinear weights.
    struct Sample {
        var offsets: (Int, Int, Int, Int)
        var weights: (Float, Float, Float, Float)
    }

    /// Pools `boxes[i]` for each `i` in `rois` from `feature` into output row `i`.
    static func pool(
        feature: UnsafePointer<Float>, height: Int, width: Int, channels: Int, boxes: [Box],
        rois: [Int], spatialScale: Float, bins: Int, samplingRatio: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        let rowLength = bins * bins * channels
        Compute.parallelFor(rois.count, minimumPerThread: 4) { range in
            var samples: [Sample] = []
            for r in range {
                let roi = rois[r]
                let count = samplePlan(
                    boxes[roi], spatialScale: spatialScale, height: height, width: width,
                    channels: channels, bins: bins, samplingRatio: samplingRatio, into: &samples)
                let perBin = samples.count / (bins * bins)
                let row = output + roi * rowLength
                for bin in 0..<bins * bins {
                    let target = row + bin * channels
                    target.initialize(repeating: 0, count: channels)
                    for s in samples[(bin * perBin)..<((bin + 1) * perBin)] {
                        let (w1, w2, w3, w4) = s.weights
                        if w1 == 0 && w2 == 0 && w3 == 0 && w4 == 0 { continue }
                        let (p1, p2, p3, p4) = (
                            feature + s.offsets.0, feature + s.offsets.1,
                            feature + s.offsets.2, feature + s.offsets.3
                        )
                        for c in 0..<channels {
                            target[c] += w1 * p1[c] + w2 * p2[c] + w3 * p3[c] + w4 * p4[c]
                        }
                    }
                    for c in 0..<channels { target[c] /= count }
                }
            }
        }
    }

    /// Fills `samples` bin by bin (row-major bins, row-major samples within a bin) and returns the
    /// divisor, `max(gridH · gridW, 1)`.
    static func samplePlan(
        _ box: Box, spatialScale: Float, height: Int, width: Int, channels: Int, bins: Int,
        samplingRatio: Int, into samples: inout [Sample]
    ) -> Float {
        samples.removeAll(keepingCapacity: true)
        let startW = box.x1 * spatialScale
        let startH = box.y1 * spatialScale
        let endW = box.x2 * spatialScale
        let endH = box.y2 * spatialScale
        let roiWidth = max(endW - startW, 1)
        let roiHeight = max(endH - startH, 1)
        let binH = roiHeight / Float(bins)
        let binW = roiWidth / Float(bins)
        let gridH = samplingRatio > 0 ? samplingRatio : Int((roiHeight / Float(bins)).rounded(.up))
        let gridW = samplingRatio > 0 ? samplingRatio : Int((roiWidth / Float(bins)).rounded(.up))
        for ph in 0..<bins {
            for pw in 0..<bins {
                for iy in 0..<gridH {
                    let y = startH + Float(ph) * binH + Float(Double(iy) + 0.5) * binH / Float(gridH)
                    for ix in 0..<gridW {
                        let x = startW + Float(pw) * binW + Float(Double(ix) + 0.5) * binW / Float(gridW)
                        samples.append(bilinear(y: y, x: x, height: height, width: width, channels: channels))
                    }
                }
            }
        }
        return Float(max(gridH * gridW, 1))
    }

    @inline(__always)
    static func bilinear(y yIn: Float, x xIn: Float, height: Int, width: Int, channels: Int) -> Sample {
        if yIn < -1 || yIn > Float(height) || xIn < -1 || xIn > Float(width) || yIn.isNaN || xIn.isNaN {
            return Sample(offsets: (0, 0, 0, 0), weights: (0, 0, 0, 0))
        }
        var y = max(yIn, 0)
        var x = max(xIn, 0)
        var yLow = Int(y)
        var xLow = Int(x)
        let yHigh: Int
        let xHigh: Int
        if yLow >= height - 1 {
            yLow = height - 1
            yHigh = yLow
            y = Float(yLow)
        } else {
            yHigh = yLow + 1
        }
        if xLow >= width - 1 {
            xLow = width - 1
            xHigh = xLow
            x = Float(xLow)
        } else {
            xHigh = xLow + 1
        }
        let ly = y - Float(yLow)
        let lx = x - Float(xLow)
        let hy = 1 - ly
        let hx = 1 - lx
        return Sample(
            offsets: (
                (yLow * width + xLow) * channels, (yLow * width + xHigh) * channels,
                (yHigh * width + xLow) * channels, (yHigh * width + xHigh) * channels
            ),
            weights: (hy * hx, hy * lx, ly * hx, ly * lx))
    }

    /// [1, C, H, W] → [H, W, C].
    public static func channelsLast(_ x: Tensor) -> Tensor {
        let (channels, height, width) = (x.dim(1), x.dim(2), x.dim(3))
        var output = Tensor(uninitializedShape: [height, width, channels])
        x.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                Compute.parallelFor(height, minimumPerThread: 4) { rows in
                    for y in rows {
                        for c in 0..<channels {
                            let source = (c * height + y) * width
                            for xx in 0..<width { out[(y * width + xx) * channels + c] = input[source + xx] }
                        }
                    }
                }
            }
        }
        return output
    }

    /// `torchvision.ops.roi_align` on one level, in torchvision's layout: feature [1, C, H, W] →
    /// [R, C, bins, bins] (the head itself keeps channels last; this form is for checking against it).
    public static func align(
        _ feature: Tensor, boxes: [Box], spatialScale: Float, bins: Int,
        samplingRatio: Int
    ) -> Tensor {
        let channels = feature.dim(1)
        let pooled = pooledChannelsLast(
            levels: [channelsLast(feature)], levelOf: [Int](repeating: 0, count: boxes.count),
            boxes: boxes, scales: [spatialScale], bins: bins, samplingRatio: samplingRatio)
        let plane = bins * bins
        let values = pooled.scalars
        var result = [Float](repeating: 0, count: values.count)
        for r in 0..<boxes.count {
            for p in 0..<plane {
                for c in 0..<channels { result[(r * channels + c) * plane + p] = values[(r * plane + p) * channels + c] }
            }
        }
        return Tensor(shape: [boxes.count, channels, bins, bins], scalars: result)
    }

    /// Pools every box from its level's channels-last feature map ([H, W, C]) → [R, bins·bins·C].
    public static func pooledChannelsLast(
        levels: [Tensor], levelOf: [Int], boxes: [Box], scales: [Float], bins: Int,
        samplingRatio: Int
    ) -> Tensor {
        let channels = levels[0].dim(2)
        var output = Tensor(uninitializedShape: [boxes.count, bins * bins * channels])
        guard !boxes.isEmpty else { return output }
        output.withUnsafeMutableBufferPointer { out in
            for (level, feature) in levels.enumerated() {
                let rois = boxes.indices.filter { levelOf[$0] == level }
                guard !rois.isEmpty else { continue }
                feature.withUnsafeBufferPointer { source in
                    pool(
                        feature: source.baseAddress!, height: feature.dim(0), width: feature.dim(1), channels: channels,
                        boxes: boxes, rois: rois, spatialScale: scales[level], bins: bins, samplingRatio: samplingRatio,
                        output: out.baseAddress!)
                }
            }
        }
        return output
    }
}

/// torchvision `LevelMapper` (FPN paper, eq. 1): level ⌊4 + log2(√area / 224) + 1e−6⌋ clamped to
/// [kMin, kMax], returned relative to kMin.
public struct LevelMapper: Sendable, Equatable {
    public let kMin: Int, kMax: Int
    public let canonicalScale: Float = 224
    public let canonicalLevel: Float = 4
    public let eps: Float = 1e-6

    public init(kMin: Int, kMax: Int) {
        self.kMin = kMin
        self.kMax = kMax
    }

    /// `_setup_scales`: each level's scale is 2^round(log2(feature height / image height)) (float32
    /// log2, round half to even), and kMin, kMax are −log2 of the first and last scales, truncated.
    public static func scales(featureHeights: [Int], imageHeight: Int) -> (scales: [Float], mapper: LevelMapper) {
        let scales = featureHeights.map { height -> Float in
            let approx = Float(Double(height) / Double(imageHeight))
            return Float(Foundation.pow(2.0, Double(log2f(approx).rounded(.toNearestOrEven))))
        }
        let kMin = Int(-log2f(scales[0]))
        let kMax = Int(-log2f(scales[scales.count - 1]))
        return (scales, LevelMapper(kMin: kMin, kMax: kMax))
    }

    public func level(of box: Box) -> Int {
        let size = box.area.squareRoot()
        let target = (canonicalLevel + log2f(size / canonicalScale) + eps).rounded(.down)
        // torch.clamp keeps NaN, whose int64 conversion is undefined; an empty-area NaN box goes to the finest level.
        guard !target.isNaN else { return 0 }
        return Int(min(max(target, Float(kMin)), Float(kMax))) - kMin
    }
}
