import LadonSink
import Shared
import Testing

/// The sink's series for its store and MQTT outputs, as Prometheus reads them.
@Suite struct SinkSeriesTests {
    @Test func storedAndMQTTOutcomesAreCountedByOutcome() {
        let registry = MetricsRegistry()
        let series = SinkSeries(registry)
        series.stored(true)
        series.stored(true)
        series.stored(false)
        series.mqttMessage(true)
        series.mqttMessage(false)
        let text = registry.render()
        #expect(text.contains("ladon_sink_stored_total{outcome=\"stored\"} 2\n"), "\(text)")
        #expect(text.contains("ladon_sink_stored_total{outcome=\"failed\"} 1\n"))
        #expect(text.contains("ladon_sink_mqtt_messages_total{outcome=\"published\"} 1\n"))
        #expect(text.contains("ladon_sink_mqtt_messages_total{outcome=\"dropped\"} 1\n"))
        #expect(text.contains("# TYPE ladon_sink_stored_total counter\n"))
    }
}
