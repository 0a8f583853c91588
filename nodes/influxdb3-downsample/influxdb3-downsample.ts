// influxdb3-downsample: one tier of aggregates (5 minutes from raw, 1 hour from 5 minutes, ...),
// aligned, closed, caught up and never double counted. The tier's work is lib/downsample/
// downsampler.ts and when it runs (its clock, retries and messages) lib/downsample/
// downsample-scheduler.ts; here are its settings, its state file, the shared durable writer its
// points go through, and the Node-RED side of its messages, status and log.

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { DownsampleInput, DownsampleScheduler } from '../lib/downsample/downsample-scheduler';
import { TierSpec, tierSpec } from '../lib/downsample/tier-spec';
import { TierStateFile, tierFingerprint } from '../lib/downsample/tier-state';
import { WRITER_DEFAULTS } from '../lib/influxdb3/durable-writer';
import type { InfluxDB3Http } from '../lib/influxdb3/influxdb3-http';
import { errorMessage } from '../lib/settings';
import { InfluxDB3ConfigNode, influxdb3ServerFor } from '../runtime/influxdb3-config-node';
import { createDatabase, openDurableWriter } from '../runtime/durable-writer-node';
import type { Done, Send } from '../runtime/input-callbacks';
import { counted, meterOf, meteredWriterEvents, watchWriter } from '../runtime/node-metrics';
import { ThrottledStatus } from '../runtime/node-status';
import { schemaFor } from '../runtime/schema-config-node';
import { nodeStatePath } from '../runtime/state-path';
import { settings } from './settings';

const UNIT_SECONDS = { s: 1, min: 60, h: 3600, d: 86400 } as const;
const WRITER_OPTIONS = { ...WRITER_DEFAULTS, maxInFlight: 4 };

export = function (RED: NodeAPI) {
  function InfluxDB3Downsample(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    const meter = meterOf(node);
    let setupError: string | undefined;
    let config: InfluxDB3ConfigNode | undefined;
    let http: InfluxDB3Http | undefined;
    let tier: DownsampleScheduler | undefined;
    let spec: TierSpec | undefined;
    let c: ReturnType<typeof settings.read>;
    let retention: string;
    let graceMs: number;

    try {
      c = settings.read(raw);
      config = influxdb3ServerFor(RED, c.server);
      spec = tierSpec(
        {
          sourceDatabase: c.sourceDatabase.trim() || config.database,
          sourceTable: c.sourceTable,
          sourceKind: c.sourceKind,
          targetDatabase: c.targetDatabase,
          targetTable: c.targetTable,
          bucketSeconds: c.bucket * UNIT_SECONDS[c.bucketUnit],
          tags: c.tags,
          fields: c.fields,
        },
        schemaFor(RED, c.schema),
      );
      retention = c.retention.trim();
      const bucketMs = spec.bucketMs;
      graceMs = c.grace * 1000;
      const options = {
        graceMs,
        recountBuckets: Math.ceil((c.recountMinutes * 60_000) / bucketMs),
        maxBucketsPerQuery: c.bucketsPerQuery,
        maxRowsPerQuery: c.rowsPerQuery,
        maxBackfillBuckets: Math.floor((c.backfillDays * 86_400_000) / bucketMs),
      };
      const spoolBytes = c.spoolMB * 1024 * 1024;
      const stateFile = `${nodeStatePath(RED, 'downsample', node.id)}.json`;
      const store = new TierStateFile(stateFile, tierFingerprint(spec), (m) => node.warn(`influxdb3-downsample: ${m}`));
      http = config.acquireHttp();
      const t = (tier = new DownsampleScheduler(
        { spec, options, store, http, retention, clock: c.clock },
        {
          send: (msg) => node.send(msg),
          error: (message, msg) => node.error(message, msg),
          warn: (message) => node.warn(message),
          log: (message) => node.log(message),
          statusChanged: () => status.set(() => t.status()),
          createDatabase: (db, r) => createDatabase(node, 'influxdb3-downsample', http!, db, r),
        },
      ));
      const spoolDir = nodeStatePath(RED, 'downsample-spool', node.id);
      const spool = { maxBytes: spoolBytes, policy: 'reject' as const };
      const events = meteredWriterEvents(meter, t.writerEvents());
      const opening = openDurableWriter(node, 'influxdb3-downsample', http, spoolDir, spool, WRITER_OPTIONS, events);
      opening.then((w) => watchWriter(meter, () => w)).catch(() => undefined);
      meter.readings.downsampleBacklog = () => t.backlog;
      meter.readings.downsampleLastBucketMs = () => t.watermarkMs;
      t.start(opening).catch((e) => fail(`influxdb3-downsample: cannot open the disk spool: ${errorMessage(e)}`));
    } catch (e) {
      fail(`influxdb3-downsample: ${errorMessage(e)}`);
    }

    function fail(message: string) {
      setupError = message;
      node.error(message);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    node.on(
      'input',
      counted(meter, (msg: NodeMessageInFlow, _send: Send, done: Done) => {
        if (setupError || !tier) return done(new Error(setupError || 'influxdb3-downsample: not set up'));
        tier.input(msg as DownsampleInput, done);
      }),
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      const finish = () => {
        if (http) config?.releaseHttp();
        done();
      };
      (tier ? tier.close() : Promise.resolve()).then(finish, (e) => {
        node.error(`influxdb3-downsample: while stopping: ${errorMessage(e)}`);
        finish();
      });
    });
  }

  RED.nodes.registerType('influxdb3-downsample', InfluxDB3Downsample);
};
