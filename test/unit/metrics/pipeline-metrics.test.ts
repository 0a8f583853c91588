import should from 'should';
import { MAX_REASONS, PipelineMetrics } from '../../../nodes/lib/metrics/pipeline-metrics';
import { metricsLines, metricsTableProblem } from '../../../nodes/lib/metrics/metrics-lines';
import { parsePrometheusText, total } from '../../support/prometheus-text';

describe('pipeline metrics: what a node counts, as Prometheus reads it', () => {
  it('reads every live meter when scraped, with the node as labels', async () => {
    const metrics = new PipelineMetrics();
    const validate = metrics.meter({ type: 'telemetry-validate', id: 'v1', name: 'check' });
    const write = metrics.meter({ type: 'influxdb3-write', id: 'w1' });
    validate.messagesIn += 3;
    validate.readingsIn += 10;
    validate.readingsOut += 8;
    validate.refuse('invalid_value');
    validate.refuse('missing_field');
    write.linesWritten += 8;
    write.observeWrite(1200);
    write.readings.waiting = () => ({ spool: { bytes: 4096, items: 12 } });
    write.readings.writerLines = () => ({ refused: 0, dropped: 0 });
    const e = parsePrometheusText(await metrics.text());
    should(e.types.get('telemetry_messages_in_total')).equal('counter');
    should(e.types.get('telemetry_queued_bytes')).equal('gauge');
    should(e.types.get('influxdb3_write_duration_seconds')).equal('histogram');
    should(total(e, 'telemetry_messages_in_total', { type: 'telemetry-validate', node: 'v1', name: 'check' })).equal(3);
    should(total(e, 'telemetry_readings_refused_total', { node: 'v1', reason: 'invalid_value' })).equal(1);
    should(total(e, 'telemetry_readings_refused_total', { node: 'v1' })).equal(2);
    should(total(e, 'influxdb3_lines_written_total', { node: 'w1', name: '' })).equal(8);
    should(total(e, 'telemetry_queued_items', { node: 'w1', store: 'spool' })).equal(12);
    should(total(e, 'influxdb3_write_duration_seconds_bucket', { node: 'w1', le: '1' })).equal(0);
    should(total(e, 'influxdb3_write_duration_seconds_bucket', { node: 'w1', le: '1.5' })).equal(1);
    should(total(e, 'influxdb3_write_duration_seconds_sum', { node: 'w1' })).equal(1.2);
    // A validate node writes no lines, sends no email and has no MQTT connection: no such series.
    should(
      e.samples.filter((s) => s.labels.node === 'v1' && /lines|emails|mqtt|write/.test(s.name)).map((s) => s.name),
    ).eql([]);

    // Counted again at the next scrape, not added twice.
    validate.messagesIn++;
    const again = parsePrometheusText(await metrics.text());
    should(total(again, 'telemetry_messages_in_total', { node: 'v1' })).equal(4);
  });

  it('forgets a closed node, and keeps at most 32 reasons a node (the rest as other)', async () => {
    const metrics = new PipelineMetrics();
    const m = metrics.meter({ type: 'telemetry-validate', id: 'v1' });
    for (let i = 0; i < 1000; i++) m.refuse(`code_${i}`);
    let e = parsePrometheusText(await metrics.text());
    const reasons = e.samples.filter((s) => s.name === 'telemetry_readings_refused_total');
    should(reasons).have.length(MAX_REASONS + 1);
    should(total(e, 'telemetry_readings_refused_total', { reason: 'other' })).equal(1000 - MAX_REASONS);
    m.observeWrite(10);
    m.close();
    e = parsePrometheusText(await metrics.text());
    should(e.samples.filter((s) => s.labels.node === 'v1')).eql([]);
  });

  it('leaves out gauges a node does not report, and values that are not finite', async () => {
    const metrics = new PipelineMetrics();
    const m = metrics.meter({ type: 'telemetry-alert', id: 'a1' });
    m.readings.alertsFiring = () => ({ HIGH: 2, LOW: Number.NaN });
    const e = parsePrometheusText(await metrics.text());
    should(total(e, 'telemetry_alerts_firing', { severity: 'HIGH' })).equal(2);
    should(e.samples.filter((s) => s.labels.severity === 'LOW')).eql([]);
    should(e.samples.filter((s) => s.name === 'telemetry_mqtt_connected')).eql([]);
  });
});

describe('pipeline metrics as line protocol', () => {
  it('is one line per label set, tags sorted, fields named after the metrics, at the given time', async () => {
    const metrics = new PipelineMetrics();
    const m = metrics.meter({ type: 'telemetry-validate', id: 'v1', name: 'check, the fleet' });
    m.messagesIn = 5;
    m.refuse('invalid_value', 2);
    const lines = await metricsLines(metrics.registry, 1_700_000_000_123);
    should(lines).containEql(
      'pipeline_metrics,name=check\\,\\ the\\ fleet,node=v1,type=telemetry-validate telemetry_messages_in_total=5,telemetry_messages_out_total=0,telemetry_readings_in_total=0,telemetry_readings_out_total=0 1700000000123',
    );
    should(lines).containEql(
      'pipeline_metrics,name=check\\,\\ the\\ fleet,node=v1,reason=invalid_value,type=telemetry-validate telemetry_readings_refused_total=2 1700000000123',
    );
  });

  it('makes a tag of any node name InfluxDB 3 would take: control characters shown, no trailing backslash', async () => {
    const metrics = new PipelineMetrics();
    metrics.meter({ type: 'telemetry-validate', id: 'v1', name: 'a\nb\\' });
    const lines = await metricsLines(metrics.registry, 0, 'm');
    should(lines[0]).startWith('m,name=a\\u000ab,node=v1,type=telemetry-validate ');
  });
});

describe('pipeline metrics: what a closing node leaves behind', () => {
  it('a write that ends after its node closed does not bring the series back; a new meter under the same id replaces an old one', async () => {
    const metrics = new PipelineMetrics();
    const m = metrics.meter({ type: 'influxdb3-write', id: 'w1' });
    m.observeWrite(100);
    m.close();
    m.observeWrite(100);
    should((await metrics.text()).includes('node="w1"')).be.false();
    const lost = metrics.meter({ type: 'influxdb3-write', id: 'w2' });
    lost.linesWritten = 5;
    lost.readings.writerLines = () => ({ refused: 0, dropped: 0 });
    const successor = metrics.meter({ type: 'influxdb3-write', id: 'w2' });
    successor.linesWritten = 1;
    successor.readings.writerLines = () => ({ refused: 0, dropped: 0 });
    const e = parsePrometheusText(await metrics.text());
    should(total(e, 'influxdb3_lines_written_total', { node: 'w2' })).equal(1);
  });

  it("skips a node whose reading throws, and still reads every other node's", async () => {
    const metrics = new PipelineMetrics();
    metrics.meter({ type: 'telemetry-alert', id: 'a1' }).readings.alertsFiring = () => {
      throw new Error('broken');
    };
    metrics.meter({ type: 'telemetry-alert', id: 'a2' }).readings.alertsFiring = () => ({ HIGH: 1 });
    const e = parsePrometheusText(await metrics.text());
    should(total(e, 'telemetry_alerts_firing', { node: 'a2' })).equal(1);
  });

  it('refuses a metrics table InfluxDB 3 would take no line of', () => {
    should(metricsTableProblem('pipeline_metrics')).be.undefined();
    should(metricsTableProblem('#metrics')).match(/comment/);
    should(metricsTableProblem('bad\\')).be.a.String();
    should(metricsTableProblem('a\nb')).be.a.String();
  });
});
