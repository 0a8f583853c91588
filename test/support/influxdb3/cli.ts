// The test server from the command line, for the playground and for trying curl or Grafana against:
//   npm run influxdb3 -- [--port 8181] [--token T] [--data-dir DIR] [--wal-flush-ms 1000]
// Defaults as InfluxDB 3 Core: port 8181, a 1 s WAL flush. In memory unless --data-dir is given.
import { InfluxDB3Options, startInfluxDB3 } from './server';

export function parseCliOptions(argv: string[]): InfluxDB3Options {
  const o: InfluxDB3Options = { port: 8181, walFlushMs: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port':
        o.port = wholeNumber(flag, value());
        break;
      case '--token':
        o.token = value();
        break;
      case '--data-dir':
        o.dataDir = value();
        break;
      case '--wal-flush-ms':
        o.walFlushMs = wholeNumber(flag, value());
        break;
      default:
        throw new Error(`unknown option ${argv[i]} (options: --port, --token, --data-dir, --wal-flush-ms)`);
    }
  }
  return o;
}

function wholeNumber(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} takes a whole number, not ${JSON.stringify(v)}`);
  return n;
}

async function main() {
  const options = parseCliOptions(process.argv.slice(2));
  const server = await startInfluxDB3(options);
  console.log(
    `InfluxDB 3 compatible test server on ${server.url} (${options.token ? 'token required' : 'no token'}, WAL flush ${options.walFlushMs} ms, ${options.dataDir ? `data in ${options.dataDir}` : 'in memory'}). Ctrl-C stops it.`,
  );
  const stop = () =>
    void server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Started by npm start with an IPC channel: it ends when that process does, however it ended.
  if (process.connected) process.once('disconnect', stop);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
