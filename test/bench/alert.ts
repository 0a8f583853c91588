// telemetry-alert inside a real Node-RED (in-process), with the reference rules (four thresholds
// and one z-score), against a pass-through node in the same run: readings in arrays of 500. The
// robust z-score rule, which keeps its window sorted, is measured alone beside it.
//
// A pass-through node hands the array on without touching a reading, so its rate is a per-message
// figure and no per-reading node can come near it. The ratio that means something is against a
// pass-through whose output is wired to two nodes, for which Node-RED copies the message, every
// reading of it: the cost of one look at each reading. Both ratios are printed.
import fs from 'node:fs';
import { startNodeRed } from '../support/node-red-instance';
import { fleetReadings, mps } from './fleet-readings';
import { passThroughNodeDir } from './node-red-pipeline';

type Ev = { destination: { id: string }; msg: { payload?: unknown } };

export async function benchAlert(): Promise<void> {
  const nodesDir = passThroughNodeDir();
  const nr = await startNodeRed({ nodesDir });
  try {
    const at = (n: object) => ({ z: 'tab', x: 100, y: 100, ...n });
    await nr.deploy([
      { id: 'tab', type: 'tab', label: 'bench' },
      // No rules given: the reference rules.
      at({ id: 'ref', type: 'telemetry-alert', wires: [[], ['sink']] }),
      at({
        id: 'robust',
        type: 'telemetry-alert',
        rules: [{ name: 'spike', kind: 'robust_zscore', field: 'temperature', limit: 6 }],
        wires: [[], ['sink']],
      }),
      at({ id: 'pass', type: 'bench-pass', wires: [['sink']] }),
      at({ id: 'fanout', type: 'bench-pass', wires: [['sink', 'spare']] }),
      at({ id: 'sink', type: 'bench-pass', wires: [] }),
      at({ id: 'spare', type: 'bench-pass', wires: [] }),
    ]);
    let readings = 0;
    nr.RED.hooks.add('onReceive.bench', (ev: Ev) => {
      if (ev.destination.id === 'sink' && Array.isArray(ev.msg.payload)) readings += ev.msg.payload.length;
    });
    const until = (cond: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => (cond() ? resolve() : setTimeout(check, 1));
        check();
      });
    const N = 400_000;
    const pool = fleetReadings(N);
    const arrays = Array.from({ length: N / 500 }, (_, i) => ({ payload: pool.slice(i * 500, i * 500 + 500) }));
    const rate = async (entry: string) => {
      readings = 0;
      const node = nr.RED.nodes.getNode(entry);
      const t0 = process.hrtime.bigint();
      for (const m of arrays) node.receive({ ...m });
      await until(() => readings >= N);
      return N / (Number(process.hrtime.bigint() - t0) / 1e9);
    };
    await rate('ref'); // warm up: the windows fill, the code is compiled
    await rate('robust');
    await rate('pass');
    await rate('fanout');
    const ratios: number[] = [];
    const copyRatios: number[] = [];
    const rates = { ref: 0, robust: 0, pass: 0, fanout: 0 };
    // Rounds alternate between contender and baselines, so a slow spell of the machine hits all.
    for (let round = 0; round < 3; round++) {
      rates.ref = await rate('ref');
      rates.pass = await rate('pass');
      rates.fanout = await rate('fanout');
      rates.robust = await rate('robust');
      ratios.push(rates.ref / rates.pass);
      copyRatios.push(rates.ref / rates.fanout);
    }
    ratios.sort((a, b) => a - b);
    copyRatios.sort((a, b) => a - b);
    const pct = (r: number) => `${(r * 100).toFixed(0)}%`;
    console.log(
      `telemetry-alert, reference rules, arrays of 500: ${mps(rates.ref)}; pass-through ${mps(rates.pass)} -> ratio ${pct(ratios[1])}; pass-through wired to two nodes (Node-RED copies each reading) ${mps(rates.fanout)} -> ratio ${pct(copyRatios[1])} (target >= 60%); robust z-score alone ${mps(rates.robust)}`,
    );
    nr.RED.hooks.remove('onReceive.bench');
  } finally {
    await nr.stop();
    fs.rmSync(nodesDir, { recursive: true, force: true });
  }
}
