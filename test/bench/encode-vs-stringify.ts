// npm run bench stringify: our line-protocol encoder against V8's own JSON.stringify of the same
// readings, the fastest way there is to turn an object into text. Two data sets of reference-fleet
// readings as they arrive from MQTT (JSON text parsed, as telemetry-mqtt-in does): with ISO 8601
// timestamps, as the simulator sends them, and with epoch milliseconds. Both sides make batches of
// 5,000 readings joined by \n: ours the encoder's batch text, JSON each reading's JSON.stringify.
//
// The encoder figures are measured under this Node.js and under the newest one the compatibility
// matrix runs (from the tool cache, test/support/install/tool-cache.ts), each in a child process
// of its own, one after the other. Then the whole telemetry-line-protocol node taking arrays of 500
// readings, against a pass-through node that JSON.stringifies each array, in Node-RED under this
// Node.js. Only ratios are printed; nothing is asserted.
//
// What bounds the ratio, as profiled on the 2-core VM of issue 25: about half of either side's time
// is the batch's final string, ~850 KB, which V8 allocates as a fresh large object whose every 4 KiB
// page faults (perf stat: ~15 us a page), 3-4 ms a batch, for our Buffer.toString and for JSON's
// join alike. Below 128 KB (the node figures, 500 lines a batch) strings come from reused pages and
// cost 50 times less a byte.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLineBytesEncoder } from '../../nodes/lib/line-protocol/line-encoder';
import { LineWriter } from '../../nodes/lib/line-protocol/line-writer';
import { compileSchema } from '../../nodes/lib/schema/compiled-schema';
import { referenceSchema } from '../../nodes/lib/schema/reference-schema';
import { COLUMNS } from '../support/install/matrix';
import { nodeBinary } from '../support/install/tool-cache';
import { compareRates, fleetReadings, mps } from './fleet-readings';

const BATCH = 5000;
const READINGS = 200_000;
const ROUNDS = 9;
const CHILD_FLAG = '--encoder-figures';

export type DataSetName = 'iso' | 'epoch-ms';

/** Reference-fleet readings as telemetry-mqtt-in hands them on: each parsed from its own JSON text,
 *  so no two readings share a string; `epoch-ms` has the same readings with the timestamp as epoch
 *  milliseconds. */
export function stringifyDataSet(name: DataSetName, count: number): Record<string, unknown>[] {
  return fleetReadings(count).map((r) => {
    const text = JSON.stringify(name === 'iso' ? r : { ...r, timestamp: Date.parse(r.timestamp as string) });
    return JSON.parse(text) as Record<string, unknown>;
  });
}

export interface EncoderFigure {
  dataSet: DataSetName;
  ours: number;
  json: number;
  ratio: number;
}

/** Both contenders on both data sets in alternating rounds; readings per second and the median of
 *  the per-round ratios ours/JSON. */
export function encoderFigures(count = READINGS, rounds = ROUNDS): EncoderFigure[] {
  const compiled = compileSchema(referenceSchema());
  const encodeInto = createLineBytesEncoder(compiled);
  const w = new LineWriter(1 << 20);
  const figures: EncoderFigure[] = [];
  for (const dataSet of ['iso', 'epoch-ms'] as DataSetName[]) {
    const readings = stringifyDataSet(dataSet, count);
    const now = Date.now();
    const ours = () => {
      const batches: string[] = [];
      for (let start = 0; start < readings.length; start += BATCH) {
        w.reset();
        const end = Math.min(start + BATCH, readings.length);
        for (let i = start; i < end; i++) encodeInto(w, readings[i], now);
        batches.push(w.toString());
      }
      return batches;
    };
    const json = () => {
      const batches: string[] = [];
      for (let start = 0; start < readings.length; start += BATCH) {
        const end = Math.min(start + BATCH, readings.length);
        const lines: string[] = new Array(end - start);
        for (let i = start; i < end; i++) lines[i - start] = JSON.stringify(readings[i]);
        batches.push(lines.join('\n'));
      }
      return batches;
    };
    const lines = ours().reduce((n, b) => n + b.split('\n').length, 0);
    if (lines !== readings.length) throw new Error(`${dataSet}: ${readings.length - lines} reading(s) were refused`);
    for (let i = 0; i < 2; i++) {
      ours();
      json();
    }
    const { a, b, ratio } = compareRates(readings.length, rounds, ours, json);
    figures.push({ dataSet, ours: a, json: b, ratio });
  }
  return figures;
}

/** The encoder figures measured by `node` in a child process of its own. */
function encoderFiguresUnder(node: string): { version: string; figures: EncoderFigure[] } {
  const out = execFileSync(node, ['--expose-gc', __filename, CHILD_FLAG], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { version: string; figures: EncoderFigure[] };
}

export async function benchEncodeVsStringify(): Promise<void> {
  const newest = COLUMNS[COLUMNS.length - 1];
  const nodes = [process.execPath];
  try {
    nodes.push(nodeBinary(newest));
  } catch (e) {
    console.log(`stringify: Node.js ${newest} not measured, it could not be had (${(e as Error).message})`);
  }
  const runs = nodes.map(encoderFiguresUnder);
  console.log(
    `encode ${READINGS.toLocaleString('en')} reference-fleet readings in batches of ${BATCH.toLocaleString('en')}: ours / JSON.stringify, median of ${ROUNDS} alternating rounds (target >= 1.00x)`,
  );
  for (const dataSet of ['iso', 'epoch-ms'] as DataSetName[]) {
    const cells = runs.map(({ version, figures }) => {
      const f = figures.find((x) => x.dataSet === dataSet)!;
      return `Node ${version}: ours ${mps(f.ours)}, JSON ${mps(f.json)} -> ${f.ratio.toFixed(2)}x`;
    });
    console.log(`  ${dataSet.padEnd(9)} ${cells.join(' | ')}`);
  }
  await nodeFigures();
}

/** A node that sends each message's payload as JSON.stringify makes it (the baseline), and a sink. */
function stringifyNodeDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-stringify-'));
  fs.writeFileSync(
    path.join(dir, 'bench-stringify.js'),
    [
      'module.exports = function (RED) {',
      "  function S(c) { RED.nodes.createNode(this, c); this.on('input', (msg, send, done) => { send({ payload: JSON.stringify(msg.payload) }); done(); }); }",
      "  RED.nodes.registerType('bench-stringify', S);",
      "  function Sink(c) { RED.nodes.createNode(this, c); this.on('input', (msg, send, done) => done()); }",
      "  RED.nodes.registerType('bench-sink', Sink);",
      '};',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'bench-stringify.html'),
    ['bench-stringify', 'bench-sink']
      .map(
        (t) =>
          `<script type="text/javascript">RED.nodes.registerType('${t}', {category: 'function', defaults: {}, inputs: 1, outputs: 1});</script>`,
      )
      .join('\n'),
  );
  return dir;
}

/** telemetry-line-protocol taking arrays of 500 readings against a node that JSON.stringifies
 *  each array, one message out for each in (batch size 500), alternating rounds, in a real
 *  Node-RED started in-process as node-red-pipeline.ts does. Not node-red-node-test-helper: its
 *  sinon spies on every node method keep every message alive, and the collector then takes
 *  half the time of both contenders. */
async function nodeFigures(): Promise<void> {
  // Loaded here, not at the top: the child processes need no Node-RED.
  const { startNodeRed } = await import('../support/node-red-instance');
  const nodesDir = stringifyNodeDir();
  const nr = await startNodeRed({ nodesDir });
  const ARRAY = 500;
  const MESSAGES = 200;
  try {
    const at = (n: object) => ({ z: 'tab', x: 100, y: 100, ...n });
    await nr.deploy([
      { id: 'tab', type: 'tab', label: 'bench' },
      at({ id: 'lp', type: 'telemetry-line-protocol', batchSize: ARRAY, flushInterval: 0, wires: [['lpOut'], []] }),
      at({ id: 'lpOut', type: 'bench-sink', wires: [] }),
      at({ id: 'json', type: 'bench-stringify', wires: [['jsonOut']] }),
      at({ id: 'jsonOut', type: 'bench-sink', wires: [] }),
    ]);
    const arrived: Record<string, number> = { lpOut: 0, jsonOut: 0 };
    nr.RED.hooks.add('onReceive.benchStringify', (ev: { destination: { id: string } }) => {
      if (ev.destination.id in arrived) arrived[ev.destination.id]++;
    });
    const timed = (entry: string, out: string, msgs: object[]) =>
      new Promise<number>((resolve) => {
        (globalThis as { gc?: () => void }).gc?.();
        const target = arrived[out] + msgs.length;
        const node = nr.RED.nodes.getNode(entry);
        const t0 = process.hrtime.bigint();
        for (const m of msgs) node.receive(m);
        const check = () =>
          arrived[out] >= target
            ? resolve((msgs.length * ARRAY) / (Number(process.hrtime.bigint() - t0) / 1e9))
            : setImmediate(check);
        check();
      });
    console.log(
      `telemetry-line-protocol node, arrays of ${ARRAY} (${MESSAGES} messages a round), against a node that JSON.stringifies each array, Node ${process.versions.node}:`,
    );
    for (const dataSet of ['iso', 'epoch-ms'] as DataSetName[]) {
      const pool = stringifyDataSet(dataSet, ARRAY * 40);
      const msgs = () =>
        Array.from({ length: MESSAGES }, (_, i) => ({
          payload: pool.slice((i % 40) * ARRAY, (i % 40) * ARRAY + ARRAY),
        }));
      await timed('lp', 'lpOut', msgs());
      await timed('json', 'jsonOut', msgs());
      const ours: number[] = [];
      const json: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const a = await timed('lp', 'lpOut', msgs());
        const b = await timed('json', 'jsonOut', msgs());
        ours.push(a);
        json.push(b);
        ratios.push(a / b);
      }
      const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
      console.log(
        `  ${dataSet.padEnd(9)} line protocol ${mps(median(ours))}, stringify ${mps(median(json))} (readings) -> ${median(ratios).toFixed(2)}x`,
      );
    }
    nr.RED.hooks.remove('onReceive.benchStringify');
  } finally {
    await nr.stop();
    fs.rmSync(nodesDir, { recursive: true, force: true });
  }
}

if (require.main === module && process.argv.includes(CHILD_FLAG)) {
  console.log(JSON.stringify({ version: process.versions.node, figures: encoderFigures() }));
}
