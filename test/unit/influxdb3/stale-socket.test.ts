// A kept-alive connection the server drops as the next request goes out on it (its idle timeout
// and the client's reuse crossing): the request is sent again on a fresh connection, once.
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import should from 'should';
import { InfluxDB3Http } from '../../../nodes/lib/influxdb3/influxdb3-http';
import { connectionSettings } from '../../../nodes/lib/influxdb3/connection-settings';
import { settings } from '../../../nodes/influxdb3-config/settings';

const PING = 'HTTP/1.1 200 OK\r\nx-influxdb-version: 3.7.0\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n{}';
const ROW = '{"n":1}\n';
const QUERY = `HTTP/1.1 200 OK\r\ncontent-length: ${ROW.length}\r\nconnection: keep-alive\r\n\r\n${ROW}`;

/** Answers the first request of every connection, then closes it without a word when a second
 *  arrives on it; `dropAll` closes every connection unanswered. */
async function serverThatDropsKeptAlive(dropAll = false) {
  const seen = { connections: 0 };
  const server = net.createServer((socket) => {
    seen.connections++;
    let answered = false;
    socket.on('data', (d) => {
      if (answered || dropAll) return socket.destroy();
      answered = true;
      socket.write(d.toString().startsWith('POST') ? QUERY : PING);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('InfluxDB 3 HTTP on a stale kept-alive socket', () => {
  const open: net.Server[] = [];
  afterEach(() => open.splice(0).forEach((s) => s.close()));

  const client = (url: string) => new InfluxDB3Http(connectionSettings(settings.read({ url }), 't'));

  it('sends a ping and a query again on a fresh connection when the kept-alive one was dropped', async () => {
    const s = await serverThatDropsKeptAlive();
    open.push(s.server);
    const http = client(s.url);
    await http.ping();
    should((await http.ping()).version).equal('3.7.0');
    const rows: unknown[] = [];
    await http.querySql('plant', 'SELECT 1', {}, (r) => rows.push(r));
    should(rows).eql([{ n: 1 }]);
    should(s.seen.connections).equal(3, 'a new connection for each request the dropped socket carried');
    http.close();
  });

  it('does not retry a connection that was fresh: that failure is the server’s', async () => {
    const s = await serverThatDropsKeptAlive(true);
    open.push(s.server);
    const http = client(s.url);
    await should(http.ping()).be.rejectedWith(/socket hang up/);
    await should(http.querySql('plant', 'SELECT 1', {}, () => undefined)).be.rejectedWith(
      /cannot reach .*socket hang up/,
    );
    should(s.seen.connections).equal(2, 'one attempt each');
    http.close();
  });
});
