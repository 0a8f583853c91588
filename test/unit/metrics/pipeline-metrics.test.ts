import should from 'should';
import { MAX_REASONS, PipelineMetrics } from '../../../nodes/lib/metrics/pipeline-metrics';
import { metricsLines } from '../../../nodes/lib/metrics/metrics-lines';
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
      'pipeline_metrics,name=check\\,\\ the\\ fleet,node=v1,type=telemetry-validate telemetry_messages_in_total=5,telemetry_messages_out_total=0,telemetry_readings_in_total=0,telemetry_readings_out_total=0,influxdb3_lines_written_total=0,influxdb3_lines_refused_total=0,telemetry_emails_sent_total=0,telemetry_emails_failed_total=0,telemetry_mqtt_redeliveries_total=0 1700000000123',
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
