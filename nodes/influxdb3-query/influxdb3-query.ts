// influxdb3-query: SQL with $name parameters -> rows on a message, through the server config's
// shared @influxdata/influxdb3-client (Arrow Flight). Parameters come from msg.params and are sent
// as parameters, never pasted into the SQL. Rows go out as one array, one message each, or in
// parts the core join node can put back together, for results too large for one message.

import type { InfluxDBClient } from '@influxdata/influxdb3-client';
import { counted, meterOf } from '../runtime/node-metrics';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { checkParams, shapeRow } from '../lib/influxdb3/query-rows';
import { errorMessage } from '../lib/settings';
import { InfluxDB3ConfigNode, influxdb3ServerFor } from '../runtime/influxdb3-config-node';
import type { Done, Send } from '../runtime/input-callbacks';
import { compactCount } from '../lib/node-io';
import { settings } from './settings';

/** Most rows one array message may carry; larger results need output "parts". */
const MAX_ARRAY_ROWS = 1_000_000;

export = function (RED: NodeAPI) {
  function InfluxDB3Query(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const meter = meterOf(node);
    let setupError: string | undefined;
    let config: InfluxDB3ConfigNode | undefined;
    let c = settings.defaults();
    let partSize = 1000;
    let timeoutMs = 60_000;
    let timeColumns = new Set<string>();
    let client: InfluxDBClient | undefined;
    try {
      c = settings.read(raw);
      config = influxdb3ServerFor(RED, c.server);
      partSize = c.partSize;
      timeoutMs = c.timeout * 1000;
      timeColumns = new Set(
        c.timeColumns
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      client = config.acquireClient();
    } catch (e) {
      setupError = `influxdb3-query: ${errorMessage(e)}`;
      node.error(setupError);
      node.status({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    node.on(
      'input',
      counted(meter, (msg: NodeMessageInFlow, send: Send, done: Done) => {
        if (setupError || !config || !client) return done(new Error(setupError || 'influxdb3-query: not set up'));
        run(msg, send, client, config).then(
          () => done(),
          (e) => {
            const timedOut =
              (e as { code?: unknown })?.code === 'DEADLINE_EXCEEDED' || /^Deadline exceeded/.test(errorMessage(e));
            node.status({ fill: 'red', shape: 'ring', text: timedOut ? 'timed out' : 'query failed' });
            const why = timedOut
              ? `no answer within ${timeoutMs / 1000} s (raise Timeout, or narrow the query): ${errorMessage(e)}`
              : errorMessage(e);
            done(new Error(`influxdb3-query: ${why}`));
          },
        );
      }),
    );

    async function run(
      msg: NodeMessageInFlow,
      send: Send,
      db: InfluxDBClient,
      server: InfluxDB3ConfigNode,
    ): Promise<void> {
      const m = msg as NodeMessageInFlow & { query?: unknown; params?: unknown; database?: unknown };
      const sql = typeof m.query === 'string' && m.query.trim() !== '' ? m.query : c.query;
      if (!sql.trim()) throw new Error('no SQL: write it in this node or send it in msg.query');
      const params = checkParams(sql, m.params);
      const database = c.database.trim() || (typeof m.database === 'string' && m.database.trim()) || server.database;
      if (!database) throw new Error('no database: set one in this node, in msg.database or in the server config');
      const started = Date.now();
      node.status({ fill: 'blue', shape: 'dot', text: 'querying' });
      const rows = db.query(sql, database, { type: 'sql', params, timeout: timeoutMs }) as AsyncGenerator<
        Record<string, unknown>
      >;
      const partsId = RED.util.generateId();
      let count = 0;
      let chunk: Record<string, unknown>[] = [];
      const all: Record<string, unknown>[] = [];
      let index = 0;
      const emitPart = (last: boolean) => {
        const parts: Record<string, unknown> = { id: partsId, index: index++, type: 'array', len: partSize };
        if (last) parts.count = index;
        send({ ...msg, payload: chunk, parts });
        chunk = [];
      };
      for await (const raw of rows) {
        const row = shapeRow(raw, timeColumns, c.timeFormat);
        count++;
        if (c.output === 'rows') send({ ...msg, payload: row });
        else if (c.output === 'parts') {
          chunk.push(row);
          if (chunk.length === partSize) emitPart(false);
        } else {
          if (count > MAX_ARRAY_ROWS)
            throw new Error(
              `more than ${MAX_ARRAY_ROWS.toLocaleString('en')} rows: set Output to "parts" (or narrow the query)`,
            );
          all.push(row);
        }
      }
      if (c.output === 'array') send({ ...msg, payload: all });
      // The last part carries the count the join node waits for (it may be empty when the rows
      // filled the parts before it exactly).
      if (c.output === 'parts') emitPart(true);
      node.status({
        fill: 'green',
        shape: 'dot',
        text: `${compactCount(count)} row${count === 1 ? '' : 's'} in ${Date.now() - started} ms`,
      });
    }

    node.on('close', (done: () => void) => {
      if (client) config?.releaseClient().then(done, done);
      else done();
    });
  }

  RED.nodes.registerType('influxdb3-query', InfluxDB3Query);
};
