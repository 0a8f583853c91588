// influxdb3-write: durable writes to InfluxDB 3. Input: line protocol (a string, or the
// telemetry-line-protocol node's batch message) or readings (an object or an array), encoded like
// telemetry-line-protocol does. Once accepted, a reading reaches the database or comes back on output 2 with
// a reason: across outages (retries, then the disk spool), restarts (the spool is replayed) and bad
// lines (each refused line on its own). See lib/durable-writer.ts for the rules.
// Alert events from telemetry-alert are stored too, as points of their own table (alert_events).
// Output 1: a summary per write. Output 2: refused lines and readings, with msg.error.

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { ALERT_EVENTS_TABLE, encodeAlertEvent, isAlertEvent } from '../lib/alert/alert-event-lines';
import { compileSchema } from '../lib/schema/compiled-schema';
import {
  DurableWriter,
  Owner,
  RejectedSummary,
  WRITER_DEFAULTS,
  WrittenSummary,
  contentLines,
  linesWereKept,
} from '../lib/influxdb3/durable-writer';
import type { InfluxDB3Http } from '../lib/influxdb3/influxdb3-http';
import { LastValueCaches } from '../lib/influxdb3/last-value-cache';
import { LineBytesEncoder, createLineBytesEncoder } from '../lib/line-protocol/line-encoder';
import { LineWriter } from '../lib/line-protocol/line-writer';
import { PAYLOAD_DEFAULTS } from '../lib/schema/payload';
import { errorMessage, oneOf } from '../lib/settings';
import { PRECISIONS, Precision } from '../lib/timestamps';
import { InfluxDB3ConfigNode, influxdb3ServerFor } from '../runtime/influxdb3-config-node';
import { createDatabaseThenWrite, openDurableWriter } from '../runtime/durable-writer-node';
import { Receipt, notKeptReceipts, receiptsOf, settleReceipts } from '../lib/receipts/receipts';
import { SERVER_REFUSAL } from '../lib/http/request-answers';
import { writerStatus } from '../lib/influxdb3/writer-status';
import { settings } from './settings';
import type { Done, Send } from '../runtime/input-callbacks';
import { countReadings, counted, meterOf, meteredWriterEvents, watchWriter } from '../runtime/node-metrics';
import type { NodeMeter } from '../lib/metrics/pipeline-metrics';
import { ThrottledStatus } from '../runtime/node-status';
import { Judged, encodeReadings, judged, receiptsAfterJudging } from '../runtime/readings-in-messages';
import { schemaFor } from '../runtime/schema-config-node';
import { nodeStatePath } from '../runtime/state-path';

/** Where a message's lines go, and the scratch space its readings are encoded in. */
interface WriteTarget {
  node: Node;
  /** This node's database, else msg.database, else the server config's. */
  database: string;
  serverDatabase: string;
  encode: LineBytesEncoder;
  precision: Precision;
  writer: DurableWriter;
  lines: LineWriter;
  verdict: Judged;
  meter: NodeMeter;
  /** With the last value cache option: the tables written to get theirs. */
  caches?: LastValueCaches;
}

const scratch = () => ({ lines: new LineWriter(), verdict: judged() });

/** How long close waits for writes in flight before keeping them in the spool (Node-RED allows 15 s). */
const CLOSE_WAIT_MS = 8000;

export = function (RED: NodeAPI) {
  function InfluxDB3Write(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    const meter = meterOf(node);
    watchWriter(meter, () => writer);
    let setupError: string | undefined;
    let config: InfluxDB3ConfigNode | undefined;
    let writer: DurableWriter | undefined;
    let target: WriteTarget | undefined;
    let caches: LastValueCaches | undefined;
    let closing = false;

    const fail = (message: string) => {
      setupError = message;
      node.error(message);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    };

    let ready: Promise<void> = Promise.resolve();
    try {
      const c = settings.read(raw);
      config = influxdb3ServerFor(RED, c.server);
      const database = c.database.trim();
      const options = {
        ...WRITER_DEFAULTS,
        maxInFlight: c.maxInFlight,
        maxBatchLines: c.maxBatchLines,
        maxQueueBytes: c.maxQueueMB * 1024 * 1024,
        noSync: c.noSync,
      };
      const spoolBytes = c.spoolMB * 1024 * 1024;
      const policy = c.spoolPolicy;
      const compiled = compileSchema(schemaFor(RED, c.schema));
      const precision = compiled.schema.precision;
      const encode = withAlertEvents(
        createLineBytesEncoder(compiled, precision),
        c.alertTable.trim() || ALERT_EVENTS_TABLE,
        precision,
      );
      // A database to create with its retention period: nothing is written before it exists.
      const retention = c.retention.trim();
      const createFirst = retention && (database || config.database);
      const http = config.acquireHttp();
      caches = c.lastCache ? lastValueCaches(node, http) : undefined;
      const dir = nodeStatePath(RED, 'spool', node.id);
      ready = openDurableWriter(
        node,
        'influxdb3-write',
        http,
        dir,
        { maxBytes: spoolBytes, policy },
        options,
        writerEvents(node, meter, caches, showStatus),
        Boolean(createFirst),
      ).then((w) => {
        writer = w;
        target = {
          node,
          database,
          serverDatabase: config!.database,
          encode,
          precision,
          writer: w,
          meter,
          caches,
          ...scratch(),
        };
        if (createFirst)
          createDatabaseThenWrite(node, 'influxdb3-write', http, w, createFirst, retention, () => closing);
        showStatus();
      });
      ready.catch((e) => fail(`influxdb3-write: cannot open the disk spool: ${errorMessage(e)}`));
    } catch (e) {
      fail(`influxdb3-write: ${errorMessage(e)}`);
    }

    function showStatus() {
      status.set(() => writerStatus(writer));
    }

    node.on(
      'input',
      counted(meter, (msg: NodeMessageInFlow, send: Send, done: Done) => {
        if (setupError || !config) return done(new Error(setupError));
        const take = () => {
          try {
            takeMessage(target!, msg, send, done);
          } catch (e) {
            done(e as Error);
          }
        };
        // Once the spool is open, take the message at once: waiting for a promise would leave every
        // message of a delivery round unspooled until the round ends, open to a crash.
        if (target) return take();
        ready.then(take, (e) =>
          done(new Error(`influxdb3-write: the disk spool could not be opened: ${errorMessage(e)}`)),
        );
      }),
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      caches?.stop();
      const finish = () => {
        config?.releaseHttp();
        done();
      };
      ready
        .then(() => writer?.stop(CLOSE_WAIT_MS))
        .then(finish, (e) => {
          node.error(`influxdb3-write: while stopping: ${errorMessage(e)}`);
          finish();
        });
    });
  }

  /** A message of lines or readings, handed to the writer with an owner that settles its receipts
   *  once the lines are written, spooled or refused. */
  function takeMessage(t: WriteTarget, msg: NodeMessageInFlow, send: Send, done: Done) {
    const m = msg as NodeMessageInFlow & { database?: unknown; precision?: unknown };
    const db = t.database || (typeof m.database === 'string' && m.database.trim()) || t.serverDatabase;
    if (!db)
      return done(
        new Error('influxdb3-write: no database: set one in this node, in msg.database or in the server config'),
      );
    let payload: string;
    let precision: Precision;
    let count: number;
    let receipts: Receipt[] | undefined = receiptsOf(msg);
    if (typeof msg.payload === 'string') {
      payload = msg.payload;
      precision = m.precision === undefined ? 'ns' : oneOf(m.precision, PRECISIONS, 'msg.precision');
      count = contentLines(payload).length;
      countReadings(t.meter, count, []);
      if (count === 0) {
        settleReceipts(receipts);
        return done();
      }
    } else {
      const rejections = encodeReadings(msg, t.encode, t.lines, PAYLOAD_DEFAULTS, t.verdict);
      countReadings(t.meter, t.verdict.readings, rejections);
      if (receipts) receipts = receiptsAfterJudging(msg, t.verdict, t.node);
      if (rejections.length > 0) send([null, rejections]);
      if (t.lines.lineCount === 0) return done();
      payload = t.lines.toString();
      count = t.lines.lineCount;
      precision = t.precision;
    }
    // Written, spooled, or refused whole by the server (output 2): telemetry-mqtt-in may forget
    // them. Lines not kept at all (the spool failed) stay in its journal (an HTTP request: 503).
    const owner = receipts
      ? new Owner((err) => {
          if (!linesWereKept(err)) notKeptReceipts(receipts, errorMessage(err));
          else settleReceipts(receipts, err && { code: SERVER_REFUSAL, message: errorMessage(err) });
          done(err);
        })
      : new Owner(done);
    t.caches?.sawLines(db, payload);
    t.writer.accept(db, precision, payload, count, owner);
  }

  /** What the writer tells: counted by the meter, written and refused lines sent on, its warnings
   *  and log lines the node's. */
  function writerEvents(node: Node, meter: NodeMeter, caches: LastValueCaches | undefined, changed: () => void) {
    return meteredWriterEvents(meter, {
      written: sendWritten(node, caches),
      rejected: (r) => node.send([null, rejectedLineMessages(r)]),
      warn: (m) => node.warn(`influxdb3-write: ${m}`),
      info: (m) => node.log(`influxdb3-write: ${m}`),
      changed,
    });
  }

  /** A summary per write on output 1; a write also lets the tables it reached have their cache. */
  function sendWritten(node: Node, caches: LastValueCaches | undefined) {
    return (s: WrittenSummary) => {
      void caches?.wrote(s.database);
      node.send([{ topic: 'written', payload: s }, null]);
    };
  }

  function lastValueCaches(node: Node, http: InfluxDB3Http): LastValueCaches {
    return new LastValueCaches(http, {
      warn: (m) => node.warn(`influxdb3-write: ${m}`),
      info: (m) => node.log(`influxdb3-write: ${m}`),
    });
  }

  /** Lines the server refused, one message each on output 2, with the server's reason. */
  function rejectedLineMessages(r: RejectedSummary) {
    return r.lines.map((l) => ({
      topic: 'rejected',
      payload: l.line,
      database: r.database,
      error: { code: 'rejected_by_server', message: l.message, lineNumber: l.lineNumber },
    }));
  }

  /** Readings by the schema, and alert events (telemetry-alert's first output) into their table. */
  function withAlertEvents(readings: LineBytesEncoder, table: string, precision: Precision): LineBytesEncoder {
    return (w, reading, now) =>
      (reading as { alertId?: unknown } | null)?.alertId !== undefined && isAlertEvent(reading)
        ? encodeAlertEvent(w, reading, table, precision)
        : readings(w, reading, now);
  }

  RED.nodes.registerType('influxdb3-write', InfluxDB3Write);
};
