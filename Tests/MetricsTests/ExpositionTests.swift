import Dispatch
import Shared
import Testing

/// The registry's text against Prometheus' exposition format 0.0.4, byte for byte.
@Suite struct ExpositionTests {
    @Test func countersGaugesAndHistogramsRenderAsTheTextFormatWithEscapedHelpAndLabelValues() {
        let registry = MetricsRegistry()
        let frames = registry.counter("ladon_test_frames_total", help: "Frames seen.")
        frames.increment()
        frames.increment(by: 2)
        let drops = registry.counters("ladon_test_dropped_total", help: "Drops by reason.", labels: ["reason", "node"])
        drops.labels("superseded", "cam-01").increment()
        drops.labels("odd", "a\\b\"c\nd").increment(by: 4)
        registry.gauge("ladon_test_credits", help: "Credits held.\nA second line with a \\ and \"quotes\".").set(2.5)
        let latency = registry.histogram("ladon_test_latency_seconds", help: "Latency.", buckets: [0.125, 0.5, 1])
        for value in [0.125, 0.25, 0.5, 4] { latency.observe(value) }
        registry.histograms("ladon_test_stage_seconds", help: "Per stage.", labels: ["stage"], buckets: [1]).labels("trunk").observe(0.5)

        #expect(
            registry.render() == """
                # HELP ladon_test_frames_total Frames seen.
                # TYPE ladon_test_frames_total counter
                ladon_test_frames_total 3
                # HELP ladon_test_dropped_total Drops by reason.
                # TYPE ladon_test_dropped_total counter
                ladon_test_dropped_total{reason="superseded",node="cam-01"} 1
                ladon_test_dropped_total{reason="odd",node="a\\\\b\\"c\\nd"} 4
                # HELP ladon_test_credits Credits held.\\nA second line with a \\\\ and "quotes".
                # TYPE ladon_test_credits gauge
                ladon_test_credits 2.5
                # HELP ladon_test_latency_seconds Latency.
                # TYPE ladon_test_latency_seconds histogram
                ladon_test_latency_seconds_bucket{le="0.125"} 1
                ladon_test_latency_seconds_bucket{le="0.5"} 3
                ladon_test_latency_seconds_bucket{le="1"} 3
                ladon_test_latency_seconds_bucket{le="+Inf"} 4
                ladon_test_latency_seconds_sum 4.875
                ladon_test_latency_seconds_count 4
                # HELP ladon_test_stage_seconds Per stage.
                # TYPE ladon_test_stage_seconds histogram
                ladon_test_stage_seconds_bucket{stage="trunk",le="1"} 1
                ladon_test_stage_seconds_bucket{stage="trunk",le="+Inf"} 1
                ladon_test_stage_seconds_sum{stage="trunk"} 0.5
                ladon_test_stage_seconds_count{stage="trunk"} 1

                """)
    }

    @Test func labelValuesEscapeBackslashQuoteAndNewlineAndNothingElse() {
        #expect(PrometheusText.escapeLabelValue(#"C:\dir "x""# + "\nend") == #"C:\\dir \"x\"\nend"#)
        #expect(PrometheusText.escapeLabelValue("cam-01/ü\t") == "cam-01/ü\t")
        #expect(PrometheusText.escapeHelp(#"a "b" \ c"# + "\n") == #"a "b" \\ c\n"#)
    }

    @Test(arguments: [
        (3.0, "3"), (-2.0, "-2"), (0.0, "0"), (2.5, "2.5"), (0.001, "0.001"), (1e-05, "1e-05"), (1e20, "1e+20"),
        (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"), (8_388_608.0, "8388608"),
    ])
    func sampleValuesAreWrittenAsPrometheusParsesThem(value: Double, text: String) {
        #expect(PrometheusText.number(value) == text)
    }

    @Test func anObservationOnABoundCountsInThatBucketAndAboveEveryBoundOnlyInInf() {
        let registry = MetricsRegistry()
        let histogram = registry.histogram("h_bytes", help: "h", buckets: [1, 2])
        for value in [0.5, 1, 2, 2.0000001, 1e9, .nan] { histogram.observe(value) }
        let state = histogram.snapshot
        #expect(state.counts == [2, 1, 2])
        #expect(state.count == 5, "NaN is not observed")
        #expect(registry.render().contains("h_bytes_bucket{le=\"2\"} 3\nh_bytes_bucket{le=\"+Inf\"} 5\n"))
    }

    @Test func theSameNameGivesTheSameSeriesAndAFamilyWithoutSeriesRendersNothing() {
        let registry = MetricsRegistry()
        registry.counter("a_total", help: "a").increment()
        registry.counter("a_total", help: "a").increment()
        #expect(registry.counter("a_total", help: "a").value == 2)
        let gauges = registry.gauges("b", help: "b", labels: ["node"])
        #expect(registry.render() == "# HELP a_total a\n# TYPE a_total counter\na_total 2\n")
        gauges.labels("n1").set(1)
        gauges.labels("n2").set(2)
        gauges.remove(["n1"])
        #expect(registry.render().hasSuffix("# TYPE b gauge\nb{node=\"n2\"} 2\n"))
        #expect(gauges.labelValues == [["n2"]])
    }

    @Test func aCounterTakingATotalFromElsewhereNeverGoesBack() {
        let counter = MetricsRegistry().counter("c_total", help: "c")
        counter.set(total: 5)
        counter.set(total: 3)
        #expect(counter.value == 5)
        counter.increment()
        #expect(counter.value == 6)
    }

    @Test(arguments: [
        ("ladon_edge_results_total", true), ("a:b_c9", true), ("_x", true), ("9a", false), ("a-b", false), ("", false), ("ü", false),
    ])
    func metricNamesFollowPrometheusRule(name: String, valid: Bool) {
        #expect(PrometheusText.isValidMetricName(name) == valid)
        #expect(PrometheusText.isValidLabelName(name) == (valid && !name.contains(":")))
    }

    @Test func reservedLabelNamesAreRefused() {
        #expect(!PrometheusText.isValidLabelName("__name__"))
        #expect(PrometheusText.isValidLabelName("_node"))
    }

    @Test func updatesFromManyThreadsWhileRenderingLoseNothing() {
        let registry = MetricsRegistry()
        let counters = registry.counters("t_total", help: "t", labels: ["thread"])
        let histogram = registry.histogram("t_seconds", help: "t", buckets: HistogramBuckets.latencySeconds)
        DispatchQueue.concurrentPerform(iterations: 5) { index in
            guard index > 0 else {
                for _ in 0..<200 { _ = registry.render() }
                return
            }
            let counter = counters.labels("\(index % 2)")
            for step in 0..<10_000 {
                counter.increment()
                histogram.observe(Double(step % 100) / 1000)
            }
        }
        #expect(counters.labels("0").value + counters.labels("1").value == 40_000)
        #expect(histogram.snapshot.count == 40_000)
        #expect(registry.render().contains("t_seconds_count 40000\n"))
    }

    @Test func theBucketLaddersIncreaseInBaseUnits() {
        #expect(HistogramBuckets.latencySeconds.first == 0.001 && HistogramBuckets.latencySeconds.last == 60)
        #expect(HistogramBuckets.bytes.first == 256 && HistogramBuckets.bytes.last == Double(8 << 20))
        for ladder in [HistogramBuckets.latencySeconds, HistogramBuckets.bytes] {
            #expect(zip(ladder, ladder.dropFirst()).allSatisfy { $0 < $1 })
        }
    }

    @Test func buildAndModelIdentityAreLabelsOfInfoSeries() {
        let registry = MetricsRegistry()
        registry.describeBuild(stage: "sink")
        registry.describeModel(ModelIdentity(backbone: "resnet50", beta: 1.28, weightsHash: 0xBEEF))
        let text = registry.render()
        #expect(text.contains("ladon_build_info{version=\"\(LadonBuild.version)\",stage=\"sink\",zeromq=\"\(Context.libraryVersion)\"} 1\n"))
        #expect(text.contains("ladon_model_info{backbone=\"resnet50\",beta=\"1.28\",weights=\"beef\"} 1\n"))
        #expect(text.contains("# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "))
    }
}
