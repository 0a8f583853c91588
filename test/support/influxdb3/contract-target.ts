// Where the contract tests run: always against the project's test server, and also against a real
// InfluxDB 3 when INFLUXDB3_URL (and INFLUXDB3_TOKEN) are set, so the test server's fidelity can be
// checked wherever a real one exists. Tests only use the client and plain HTTP, so both targets see
// the same requests; databases get a per-run suffix and are deleted afterwards.

import { InfluxDBClient } from '@influxdata/influxdb3-client';
import { InfluxDB3Server, startInfluxDB3 } from './server';

export interface ContractTarget {
  name: string;
  url: string;
  token: string;
  /** The test server, when the target is it (for checks only it can make, such as its limits). */
  local?: InfluxDB3Server;
  /** A database name unique to this run, deleted after the suite. */
  db(base: string): string;
  client(database: string): InfluxDBClient;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

const REAL_URL = process.env.INFLUXDB3_URL;
const RUN = Date.now().toString(36);
let toldSkip = false;

/** Defines the suite once per target; the real one is a skipped test with its reason when unset. */
export function describeForEachTarget(title: string, define: (target: () => ContractTarget) => void): void {
  describe(`${title} (project test server)`, function () {
    this.timeout(30_000);
    define(useTarget(() =>
      startInfluxDB3({ token: 'contract-token' }).then((s) => ({ url: s.url, token: 'contract-token', local: s })),
    ));
  });
  describe(`${title} (real InfluxDB 3)`, function () {
    this.timeout(60_000);
    if (!REAL_URL) {
      it('runs when INFLUXDB3_URL (and INFLUXDB3_TOKEN) name a real InfluxDB 3', function () {
        if (!toldSkip)
          console.log(
            '    (skipped: INFLUXDB3_URL is not set, so the contract tests ran against the project test server only)',
          );
        toldSkip = true;
        this.skip();
      });
      return;
    }
    define(useTarget(() =>
      Promise.resolve({ url: REAL_URL.replace(/\/$/, ''), token: process.env.INFLUXDB3_TOKEN ?? '' }),
    ));
  });
}

function useTarget(open: () => Promise<{ url: string; token: string; local?: InfluxDB3Server }>): () => ContractTarget {
  let target: ContractTarget | undefined;
  const clients: InfluxDBClient[] = [];
  const databases = new Set<string>();
  before(async () => {
    const t = await open();
    const auth = t.token ? { authorization: `Bearer ${t.token}` } : undefined;
    target = {
      name: t.local ? 'test server' : 'InfluxDB 3',
      ...t,
      db(base) {
        const name = t.local ? base : `${base}_${RUN}`;
        databases.add(name);
        return name;
      },
      client(database) {
        const c = new InfluxDBClient({ host: t.url, token: t.token, database });
        clients.push(c);
        return c;
      },
      fetch: (path, init = {}) =>
        fetch(t.url + path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) } }),
    };
  });
  after(async () => {
    for (const c of clients) await c.close();
    if (target && !target.local) {
      for (const db of databases)
        await target
          .fetch(`/api/v3/configure/database?db=${encodeURIComponent(db)}`, { method: 'DELETE' })
          .catch(() => undefined);
    }
    await target?.local?.stop();
  });
  return () => {
    if (!target) throw new Error('the contract target is not open yet');
    return target;
  };
}
