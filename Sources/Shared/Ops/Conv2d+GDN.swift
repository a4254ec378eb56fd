extension Conv2d {
    /// `self(gdn(x))` in one pass: when the convolution runs as polyphase GEMMs, the GDN normalises a panel of
    /// rows at a time and the split reads each panel while it is in the last-level cache, so the normalised map
    /// is never written whole nor read back (the Ladon encoder's GDN → 5x5/2 convolution: 12.8 MB each way).
    /// Other algorithms normalise first. `panelRows` sets the rows per GDN panel (nil: sized to the cache);
    /// tests make them few so that small fixtures cross panel edges.
    ///
    /// Layout: x [N, Cin, H, W] → [N, Cout, Hout, Wout].
    public func callAsFunction(
        _ x: Tensor, normalizedBy gdn: GDN, algorithm: ConvAlgorithm = .automatic,
        panelRows: Int? = nil
    ) -> Tensor {
        precondition(gdn.beta.count == inChannels, "GDN over \(gdn.beta.count) channels before a conv over \(inChannels)")
        guard let polyphase, algorithm == .polyphase || (algorithm == .automatic && prefersPolyphase) else {
            return self(gdn(x), algorithm: algorithm)
        }
        precondition(x.rank == 4 && x.dim(1) == inChannels, "conv expects [N, \(inChannels), H, W], got \(x.shape)")
        let (n, height, width) = (x.dim(0), x.dim(2), x.dim(3))
        let (outH, outW) = geometry.outputSize(height: height, width: width, kernel: kernel)
        precondition(outH > 0 && outW > 0, "conv output would be empty for input \(x.shape)")
        let plan = PolyphasePlan(
            filter: polyphase, height: height, width: width, outHeight: outH, outWidth: outW,
            padding: geometry.padding, activation: activation)
        var output = Tensor(uninitializedShape: [n, outChannels, outH, outW])
        let biasValues = bias?.scalars
        output.withUnsafeMutableBufferPointer { out in
            x.withUnsafeBufferPointer { input in
                for image in 0..<n {
                    let source = input.baseAddress! + image * inChannels * height * width
                    plan.run(
                        output: out.baseAddress! + image * outChannels * outH * outW, residual: nil,
                        bias: biasValues
                    ) { phases in
                        gdn.normalisedPanels(of: source, height: height, width: width, panelRows: panelRows) { rows, panel in
                            plan.split(rows: rows, of: panel, channelStride: rows.count * width, into: phases)
                        }
                    }
                }
            }
        }
        return output
    }
}

extension Conv2d {
    /// `self(gdn(previous(x)))` in one pass: `previous` computes a panel of output rows by im2col, the GDN
    /// normalises it in place and the polyphase split takes it, so neither intermediate map is written whole
    /// (the Ladon encoder's 5x5/2 conv → GDN → 5x5/2 conv: 12.8 MB each). `algorithm` is this convolution's;
    /// unless it runs as polyphase GEMMs, or `automatic` would run `previous` otherwise than by im2col, the
    /// three run one after the other. `panelRows`: rows per panel (nil: sized to the cache).
    ///
    /// Layout: x [N, Cin of previous, H, W] → [N, Cout, Hout, Wout].
    public func callAsFunction(
        _ x: Tensor, after previous: Conv2d, normalizedBy gdn: GDN,
        algorithm: ConvAlgorithm = .automatic, panelRows: Int? = nil
    ) -> Tensor {
        precondition(
            previous.outChannels == inChannels && gdn.beta.count == inChannels,
            "conv over \(previous.outChannels) channels, GDN over \(gdn.beta.count), then conv over \(inChannels)")
        precondition(
            x.rank == 4 && x.dim(1) == previous.inChannels,
            "conv expects [N, \(previous.inChannels), H, W], got \(x.shape)")
        let (n, height, width) = (x.dim(0), x.dim(2), x.dim(3))
        let (midH, midW) = previous.geometry.outputSize(height: height, width: width, kernel: previous.kernel)
        let (outH, outW) = geometry.outputSize(height: midH, width: midW, kernel: kernel)
        precondition(midH > 0 && midW > 0 && outH > 0 && outW > 0, "conv output would be empty for input \(x.shape)")
        guard let polyphase,
            algorithm == .polyphase
                || (algorithm == .automatic && prefersPolyphase && previous.runsByIm2col(height: height, width: width))
        else {
            return self(previous(x), normalizedBy: gdn, algorithm: algorithm, panelRows: panelRows)
        }
        let first = ConvPlan(conv: previous, inputHeight: height, inputWidth: width, outputHeight: midH, outputWidth: midW)
        let plan = PolyphasePlan(
            filter: polyphase, height: midH, width: midW, outHeight: outH, outWidth: outW,
            padding: geometry.padding, activation: activation)
        let rowsPerPanel = min(midH, max(1, panelRows ?? (gdn.fittingPanel + midW - 1) / midW))
        let pass = ConvNormaliseSplit(
            first: first, gdn: gdn, split: plan, rowsPerPanel: rowsPerPanel, threads: Compute.threads)
        var output = Tensor(uninitializedShape: [n, outChannels, outH, outW])
        let (firstBias, biasValues) = (previous.bias?.scalars, bias?.scalars)
        output.withUnsafeMutableBufferPointer { out in
            x.withUnsafeBufferPointer { input in
                previous.packedWeight.withUnsafeBufferPointer { w in
                    for image in 0..<n {
                        let source = input.baseAddress! + image * first.inputImageCount
                        plan.run(
                            output: out.baseAddress! + image * outChannels * outH * outW, residual: nil,
                            bias: biasValues
                        ) { phases in
                            pass.fill(phases, from: source, packedWeight: w.baseAddress!, bias: firstBias)
                        }
                    }
                }
            }
        }
        return output
    }
}
