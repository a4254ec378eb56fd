import Synchronization

/// A stage's Prometheus series: counters, gauges and histograms, each in a family of one name with a
/// fixed list of label names, rendered in the text exposition format 0.0.4 (`PrometheusText`).
///
/// Threads: the stage's I/O loop updates series and the metrics server's thread renders them, so every
/// value sits behind its own `Mutex` (an uncontended lock per update; the stages update a handful of
/// series per frame). Look a labelled series up once and keep it (`MetricFamily.labels`) where a loop
/// updates it often; the lookup takes the family's lock and hashes the label values.
///
/// Names and label names are the program's own, never input: a name Prometheus would refuse is a
/// programmer error (`precondition`). Label values may be anything (node ids, reasons); rendering escapes them.
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any RenderedFamily]>([])

    public init() {}

    /// An unlabelled counter; the same one again for the same name.
    public func counter(_ name: String, help: String) -> Counter { counters(name, help: help, labels: []).labels([]) }

    public func counters(_ name: String, help: String, labels: [String]) -> MetricFamily<Counter> {
        family(name, help: help, type: .counter, labels: labels) { Counter() }
    }

    /// An unlabelled gauge; the same one again for the same name.
    public func gauge(_ name: String, help: String) -> Gauge { gauges(name, help: help, labels: []).labels([]) }

    public func gauges(_ name: String, help: String, labels: [String]) -> MetricFamily<Gauge> {
        family(name, help: help, type: .gauge, labels: labels) { Gauge() }
    }

    /// An unlabelled histogram with `buckets` as upper bounds (`HistogramBuckets`); the same one again for the same name.
    public func histogram(_ name: String, help: String, buckets: [Double]) -> Histogram {
        histograms(name, help: help, labels: [], buckets: buckets).labels([])
    }

    public func histograms(_ name: String, help: String, labels: [String], buckets: [Double]) -> MetricFamily<Histogram> {
        precondition(!labels.contains("le"), "\(name): 'le' is the bucket label of a histogram")
        precondition(!buckets.isEmpty && buckets.allSatisfy(\.isFinite), "\(name): bucket bounds are finite, at least one")
        precondition(zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 }, "\(name): bucket bounds increase strictly")
        return family(name, help: help, type: .histogram, labels: labels) { Histogram(bounds: buckets) }
    }

    /// Every family with at least one series, in the order they were registered, as Prometheus reads it.
    public func render() -> String {
        let snapshot = families.withLock { $0 }
        var text = ""
        for family in snapshot { family.render(into: &text) }
        return text
    }

    private func family<Metric>(
        _ name: String, help: String, type: MetricType, labels: [String], make: @escaping @Sendable () -> Metric
    ) -> MetricFamily<Metric> {
        precondition(PrometheusText.isValidMetricName(name), "'\(name)' is not a Prometheus metric name")
        precondition(labels.allSatisfy(PrometheusText.isValidLabelName), "\(name): invalid label names \(labels)")
        precondition(Set(labels).count == labels.count, "\(name): label names repeat")
        return families.withLock { families in
            if let existing = families.first(where: { $0.name == name }) {
                guard let same = existing as? MetricFamily<Metric>, same.labelNames == labels, same.type == type else {
                    preconditionFailure("metric '\(name)' registered twice with different types or labels")
                }
                return same
            }
            let created = MetricFamily(name: name, help: help, type: type, labelNames: labels, make: make)
            families.append(created)
            return created
        }
    }
}

/// Prometheus' metric types that this registry renders.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram
}

/// A family's part in rendering; the registry holds families of every metric type.
protocol RenderedFamily: AnyObject, Sendable {
    var name: String { get }
    func render(into text: inout String)
}

/// A value the registry can render as one series' sample lines.
public protocol ExposedMetric: AnyObject, Sendable {
    /// Appends this series' samples: `name{labels} value` lines (`labels` already rendered, maybe empty).
    func render(name: String, labels: String, into text: inout String)
}

/// All series of one metric name: one per combination of label values, made on first use.
public final class MetricFamily<Metric: ExposedMetric>: Sendable, RenderedFamily {
    public let name: String
    public let help: String
    public let type: MetricType
    public let labelNames: [String]
    private let make: @Sendable () -> Metric
    private let series = Mutex(SeriesTable())

    private struct SeriesTable {
        var order: [[String]] = []
        var byValues: [[String]: (metric: Metric, labels: String)] = [:]
    }

    init(name: String, help: String, type: MetricType, labelNames: [String], make: @escaping @Sendable () -> Metric) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.make = make
    }

    /// The series with these label values, one per label name in order; made (at zero) on first use.
    public func labels(_ values: String...) -> Metric { labels(values) }

    public func labels(_ values: [String]) -> Metric {
        precondition(values.count == labelNames.count, "\(name) takes \(labelNames.count) label values, got \(values.count)")
        return series.withLock { table in
            if let found = table.byValues[values] { return found.metric }
            let metric = make()
            table.order.append(values)
            table.byValues[values] = (metric, PrometheusText.labels(zip(labelNames, values).map { ($0, $1) }))
            return metric
        }
    }

    /// Removes the series with these label values (a node the stage no longer knows); its samples go too.
    public func remove(_ values: [String]) {
        series.withLock { table in
            guard table.byValues.removeValue(forKey: values) != nil else { return }
            table.order.removeAll { $0 == values }
        }
    }

    /// The label values of every series, in the order they were made.
    public var labelValues: [[String]] { series.withLock { $0.order } }

    func render(into text: inout String) {
        let rows = series.withLock { table in table.order.compactMap { table.byValues[$0] } }
        guard !rows.isEmpty else { return }
        text += "# HELP \(name) \(PrometheusText.escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
        for row in rows { row.metric.render(name: name, labels: row.labels, into: &text) }
    }
}

// MARK: - Metric types

/// A total that only grows (events, bytes, seconds spent); its name ends in `_total`.
public final class Counter: ExposedMetric {
    private let stored = Mutex<Double>(0)

    public init() {}

    public func increment(by amount: Double = 1) {
        precondition(amount >= 0, "a counter only grows")
        stored.withLock { $0 += amount }
    }

    /// Takes over a total counted elsewhere that never decreases (a stage summary's count); a smaller
    /// total than the counter's leaves it, so the counter still never goes back.
    public func set(total: Double) { stored.withLock { $0 = max($0, total) } }

    public var value: Double { stored.withLock { $0 } }

    public func render(name: String, labels: String, into text: inout String) {
        text += "\(name)\(PrometheusText.braced(labels)) \(PrometheusText.number(value))\n"
    }
}

/// A value that goes up and down (credits in flight, workers connected, an info series' 1).
public final class Gauge: ExposedMetric {
    private let stored = Mutex<Double>(0)

    public init() {}

    public func set(_ value: Double) { stored.withLock { $0 = value } }
    public func increment(by amount: Double = 1) { stored.withLock { $0 += amount } }
    public func decrement(by amount: Double = 1) { stored.withLock { $0 -= amount } }

    public var value: Double { stored.withLock { $0 } }

    public func render(name: String, labels: String, into text: inout String) {
        text += "\(name)\(PrometheusText.braced(labels)) \(PrometheusText.number(value))\n"
    }
}

/// Observations counted in fixed buckets (`le` upper bounds, inclusive), with their sum and count;
/// Prometheus computes quantiles from the buckets (`histogram_quantile`). NaN is not observed.
public final class Histogram: ExposedMetric {
    public let bounds: [Double]
    private let state: Mutex<State>

    public struct State: Sendable, Equatable {
        /// Per bucket, not cumulative; the last one is above every bound (`+Inf` alone).
        public var counts: [UInt64]
        public var sum: Double = 0
        public var count: UInt64 = 0
    }

    init(bounds: [Double]) {
        self.bounds = bounds
        state = Mutex(State(counts: [UInt64](repeating: 0, count: bounds.count + 1)))
    }

    public func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let bucket = bucket(of: value)
        state.withLock { state in
            state.counts[bucket] += 1
            state.sum += value
            state.count += 1
        }
    }

    public var snapshot: State { state.withLock { $0 } }

    /// The first bucket whose bound is at least `value` (binary search), `bounds.count` for above all.
    func bucket(of value: Double) -> Int {
        var (low, high) = (0, bounds.count)
        while low < high {
            let middle = (low + high) / 2
            if bounds[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    public func render(name: String, labels: String, into text: inout String) {
        let state = snapshot
        let prefix = labels.isEmpty ? "" : labels + ","
        var cumulative: UInt64 = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += state.counts[index]
            text += "\(name)_bucket{\(prefix)le=\"\(PrometheusText.number(bound))\"} \(cumulative)\n"
        }
        text += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(state.count)\n"
        text += "\(name)_sum\(PrometheusText.braced(labels)) \(PrometheusText.number(state.sum))\n"
        text += "\(name)_count\(PrometheusText.braced(labels)) \(state.count)\n"
    }
}

/// Bucket bounds in base units for the stages' histograms.
public enum HistogramBuckets {
    /// Seconds, 1 ms to 60 s in steps of about 2.5x (Prometheus' default ladder, widened at both ends):
    /// a stage's time, a Result's age.
    public static let latencySeconds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60]
    /// Bytes, 256 B to 8 MiB (the largest latent the edge accepts) in steps of 2: a coded latent's size.
    public static let bytes: [Double] = (8...23).map { Double(1 << $0) }
}
