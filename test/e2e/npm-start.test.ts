// The playground as a new user starts it: what `npm start` runs once it has built
// (node dist/scripts/start.js: running `npm start` itself here would rebuild dist/ under the
// running tests), on free ports and in a temporary folder. The editor answers with the Full
// pipeline first, the tiers hold a day of points within 60 s, a fault's email appears on the mail
// page, Ctrl-C (SIGINT) ends it with exit code 0, and what line protocol held at that moment is in
// the database after the next start.
import should from 'should';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../support/eventually';

const START = path.join(__dirname, '..', '..', 'scripts', 'start.js');

interface Playground {
  proc: ChildProcess;
  editor: string;
  influx: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startPlayground(userDir: string): Promise<Playground> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_RED_USER_DIR: userDir,
    PORT: '0',
    INFLUXDB3_PORT: '0',
    MQTT_PORT: '0',
    SMTP_PORT: '0',
  };
  for (const k of ['INFLUXDB3_URL', 'MQTT_URL', 'SMTP_HOST', 'HOST']) delete env[k];
  const proc = spawn(process.execPath, [START], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await Promise.race([
    eventually(() => /Ctrl-C stops everything/.test(out), 'the banner', 90_000),
    exited.then((code) => Promise.reject(new Error(`npm start exited early (${code}):\n${out}`))),
  ]);
  const url = (what: string) => new RegExp(`${what}\\s+(http://\\S+)`).exec(out)![1];
  return { proc, editor: url('Node-RED editor'), influx: url('InfluxDB 3'), output: () => out, exited };
}

describe('npm start: the playground', function () {
  this.timeout(300_000);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-'));
  let running: Playground | undefined;
  after(async () => {
    if (running && running.proc.exitCode === null) {
      running.proc.kill('SIGINT');
      await running.exited;
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const count = async (influx: string, db: string, q: string) => {
    const res = await fetch(`${influx}/api/v3/query_sql?db=${db}&q=${encodeURIComponent(q)}`);
    return res.status === 200 ? Number(((await res.json()) as { n: number }[])[0]?.n ?? 0) : 0;
  };

  it('starts everything with one command: the editor, a day in every tier within 60 s, an email on the mail page; SIGINT ends it with 0 and keeps what line protocol held', async () => {
    const t0 = Date.now();
    running = await startPlayground(userDir);
    const { editor, influx } = running;
    // A day of the fleet in both tiers: 288 five-minute buckets and 24 hours per device.
    await eventually(
      async () =>
        (await count(influx, 'iot-sensors-5min', 'SELECT count(*) AS n FROM iot_sensors_5min')) >= 287 * 80 &&
        (await count(influx, 'iot-sensors-1hour', 'SELECT count(*) AS n FROM iot_sensors_1hour')) >= 23 * 80,
      'a day of points in both tiers',
      Math.max(1, 60_000 - (Date.now() - t0)),
    );
    console.log(`      both tiers held a day ${((Date.now() - t0) / 1000).toFixed(1)} s after the start`);

    const page = await fetch(editor);
    should(page.status).equal(200);
    should(await page.text()).match(/Node-RED/);
    const flows = (await (await fetch(`${editor}/flows`)).json()) as {
      type: string;
      label?: string;
      disabled?: boolean;
    }[];
    const tabs = flows.filter((n) => n.type === 'tab');
    should(tabs[0].label).equal('Full pipeline');
    should(tabs.map((t) => t.label)).have.length(5);
    should(tabs.find((t) => t.label === 'Quick start without a broker')!.disabled).be.true();

    // A fault, its email on the page next to the editor.
    should((await fetch(`${editor}/inject/fpinjsilent00001`, { method: 'POST' })).status).equal(200);
    await eventually(
      async () => /silent - TEMP_003/.test(await (await fetch(`${editor}/mail`)).text()),
      'the email on the mail page',
      120_000,
    );
    should(running.output()).match(/mail: to ops@factory\.example: \[IoT ALERT\] silent - TEMP_003/);
    const listing = await (await fetch(`${editor}/mail`)).text();
    const link = /href="(mail\/[^"]+\.eml)"/.exec(listing)![1];
    const mail = await (await fetch(`${editor}/${link}`)).text();
    should(mail).match(/FIRING\s+TEMP_003/);
    should(mail).match(/<iframe sandbox=""/);

    running.proc.kill('SIGINT');
    should(await running.exited).equal(0, running.output());
    const handover = path.join(userDir, 'influxdb3-pipeline', 'line-protocol-fplp000000000001.lp');
    should(fs.existsSync(handover)).be.true('line protocol kept its buffer at the stop');
    const kept = fs
      .readFileSync(handover, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => ({
        device: /device_id=([^,]+)/.exec(l)![1],
        ms: Number(BigInt(l.slice(l.lastIndexOf(' ') + 1)) / 1_000_000n),
      }));
    should(kept.length).be.above(0);

    // The next start sends them on: every reading that was in the buffer is in the database.
    running = await startPlayground(userDir);
    should(running.output()).not.match(/writing the reference fleet/, 'a restart does not seed again');
    const from = new Date(Math.min(...kept.map((k) => k.ms))).toISOString();
    await eventually(
      async () => {
        const res = await fetch(
          `${running!.influx}/api/v3/query_sql?db=iot-sensors&q=${encodeURIComponent(`SELECT device_id, time FROM iot_sensors WHERE time >= '${from}'`)}`,
        );
        if (res.status !== 200) return false;
        const stored = new Set(
          ((await res.json()) as { device_id: string; time: string }[]).map(
            (r) => `${r.device_id}@${Date.parse(`${r.time}Z`)}`,
          ),
        );
        return kept.every((k) => stored.has(`${k.device}@${k.ms}`));
      },
      `the ${kept.length} buffered readings in the database`,
      60_000,
    );
    running.proc.kill('SIGINT');
    should(await running.exited).equal(0);
  });
});
