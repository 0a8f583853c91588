// validate -> line-protocol inside a real Node-RED (in-process), against pass-through nodes in the
// same run: readings in arrays of 500, and one reading a message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNodeRed } from '../support/node-red-instance';
import { fleetReadings, mps } from './fleet-readings';

type Ev = { destination: { id: string }; msg: { lineCount?: number } };

/** The baseline: a node that only passes each message on. */
export function passThroughNodeDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pass-'));
  fs.writeFileSync(
    path.join(dir, 'bench-pass.js'),
    "module.exports = function (RED) { function P(c) { RED.nodes.createNode(this, c); this.on('input', (msg, send, done) => { send(msg); done(); }); } RED.nodes.registerType('bench-pass', P); };",
  );
  fs.writeFileSync(
    path.join(dir, 'bench-pass.html'),
    "<script type=\"text/javascript\">RED.nodes.registerType('bench-pass', {category: 'function', defaults: {}, inputs: 1, outputs: 1});</script>",
  );
  return dir;
}

export async function benchPipeline(): Promise<void> {
  const nodesDir = passThroughNodeDir();
  const nr = await startNodeRed({ nodesDir });
  try {
    const tab = { id: 'tab', type: 'tab', label: 'bench' };
    const at = (n: object) => ({ z: 'tab', x: 100, y: 100, ...n });
    await nr.deploy([
      tab,
      at({ id: 'val', type: 'telemetry-validate', wires: [['lp'], []] }),
      at({ id: 'lp', type: 'telemetry-line-protocol', batchSize: 5000, flushInterval: 0, wires: [['sink'], []] }),
      at({ id: 'sink', type: 'bench-pass', wires: [] }),
      at({ id: 'p1', type: 'bench-pass', wires: [['p2']] }),
      at({ id: 'p2', type: 'bench-pass', wires: [['psink']] }),
      at({ id: 'psink', type: 'bench-pass', wires: [] }),
    ]);
    let lines = 0;
    let passed = 0;
    nr.RED.hooks.add('onReceive.bench', (ev: Ev) => {
      if (ev.destination.id === 'sink') lines += ev.msg.lineCount ?? 0;
      else if (ev.destination.id === 'psink') passed++;
    });
    const node = (id: string) => nr.RED.nodes.getNode(id);
    const until = (cond: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => (cond() ? resolve() : setTimeout(check, 1));
        check();
      });
    const run = async (entry: string, msgs: object[], done: () => boolean) => {
      const t0 = process.hrtime.bigint();
      const n = node(entry);
      for (const m of msgs) n.receive(m);
      await until(done);
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };

    // Arrays of 500: 1,000,000 readings.
    const pool = fleetReadings(500 * 40);
    const arrays = Array.from({ length: 2000 }, (_, i) => ({
      payload: pool.slice((i % 40) * 500, (i % 40) * 500 + 500),
    }));
    await run('val', arrays.slice(0, 200), () => lines >= 100_000);
    const rates: number[] = [];
    for (let round = 0; round < 3; round++) {
      lines = 0;
      const s = await run('val', arrays, () => lines >= 1_000_000);
      rates.push(1_000_000 / s);
    }
    rates.sort((a, b) => a - b);
    console.log(
      `validate -> line-protocol in Node-RED, arrays of 500: ${mps(rates[1])} readings/s (target >= 1.00 M/s)`,
    );

    // One reading a message, against two pass-through nodes: a round of each to warm up, then
    // alternating rounds; the median of the per-round ratios (a busy machine moves single rounds
    // by +-15 %).
    const N = 100_000;
    const ROUNDS = 7;
    const singles = fleetReadings(N);
    const ratios: number[] = [];
    const oursRates: number[] = [];
    const baseRates: number[] = [];
    for (let round = -1; round < ROUNDS; round++) {
      lines = 0;
      passed = 0;
      const ours = await run(
        'val',
        singles.map((payload) => ({ payload })),
        () => lines >= N - (N % 5000),
      );
      const base = await run(
        'p1',
        singles.map((payload) => ({ payload })),
        () => passed >= N,
      );
      if (round < 0) continue;
      oursRates.push(N / ours);
      baseRates.push(N / base);
      ratios.push(base / ours);
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    console.log(
      `one reading a message: validate -> line-protocol ${mps(median(oursRates))} msgs/s, two pass-through nodes ${mps(median(baseRates))} msgs/s -> ratio ${(median(ratios) * 100).toFixed(0)}% (median of ${ROUNDS} rounds; target >= 90%)`,
    );
    nr.RED.hooks.remove('onReceive.bench');
  } finally {
    await nr.stop();
    fs.rmSync(nodesDir, { recursive: true, force: true });
  }
}
