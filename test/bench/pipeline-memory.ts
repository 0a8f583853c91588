// What the Full pipeline costs Node-RED in memory: the RSS of a real Node-RED (a child process)
// running the example at the reference fleet's rate (80 sensors, a reading every 5 s, over MQTT,
// into the test server, with the tiers, alerts and email), against the same Node-RED with empty
// flows, each for the same time in a fresh process, alternating. Target: at most +32 MB (a 1 GB
// Raspberry Pi runs it beside Node-RED's own ~80 MB). The broker and the mail sink run in this
// process and the test server in a process of its own, so the measured process is Node-RED alone.
// npm run bench memory-pipeline   (BENCH_SECONDS=120 for a longer look; default 60)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACK_ROOT } from '../../scripts/launch-node-red';
import { readExamples } from '../../scripts/playground-flows';
import { startChild } from '../support/node-red-child-control';
import { startAedes } from '../support/mqtt-brokers';
import { startSmtpSink } from '../support/smtp-sink';
import { freePort, startServer, stopServer } from './writer-memory';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const ROUNDS = 2;
const MB = 1024 * 1024;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

interface Sample {
  /** Median RSS over the second half of the run: the steady state. */
  steady: number;
  peak: number;
}

async function measure(flows: object[]): Promise<Sample> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pipeline-memory-'));
  const child = await startChild(userDir, flows);
  const samples: number[] = [];
  try {
    for (let s = 0; s < SECONDS; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(rssOf(child.proc.pid!));
    }
  } finally {
    child.proc.kill('SIGTERM');
    await child.exited;
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  const late = samples.slice(Math.floor(samples.length / 2)).sort((a, b) => a - b);
  return { steady: late[Math.floor(late.length / 2)], peak: Math.max(...samples) };
}

export async function benchPipelineMemory(): Promise<void> {
  const port = await freePort();
  const server = await startServer(port);
  const mqtt = await startAedes();
  const smtp = await startSmtpSink({ starttls: false });
  const had = { ...process.env };
  Object.assign(process.env, {
    INFLUXDB3_URL: `http://127.0.0.1:${port}`,
    MQTT_URL: mqtt.url,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
  });
  const full = readExamples(path.join(PACK_ROOT, 'examples'))[0].nodes;
  const empty = [{ id: 'tab', type: 'tab', label: 'empty' }];
  console.log(
    `\nNode-RED's RSS, Full pipeline at the reference rate vs empty flows (${SECONDS} s a run, ${ROUNDS} rounds)`,
  );
  const deltas: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const base = await measure(empty);
      const pipeline = await measure(full);
      const delta = pipeline.steady - base.steady;
      deltas.push(delta);
      console.log(
        `  round ${round}: empty flows ${(base.steady / MB).toFixed(1)} MB (peak ${(base.peak / MB).toFixed(1)}), Full pipeline ${(pipeline.steady / MB).toFixed(1)} MB (peak ${(pipeline.peak / MB).toFixed(1)}): +${(delta / MB).toFixed(1)} MB`,
      );
    }
  } finally {
    process.env = had;
    await stopServer(server);
    await mqtt.close();
    await smtp.stop();
  }
  const most = Math.max(...deltas);
  console.log(`  at most +${(most / MB).toFixed(1)} MB with the Full pipeline running (target: at most +32 MB)`);
}
