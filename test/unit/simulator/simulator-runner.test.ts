// telemetry-simulator's control on a fake clock: readings go out as simulated time reaches them, at
// the speed set; pause holds simulated time and resume sends no backlog; rate, stop and a new start;
// the delayed start and what cancels it; the manual clock moves only on advance; a failing tick is
// reported and the ticks go on; nothing is sent after stop or close.
import should from 'should';
import { referenceFleet } from '../../../nodes/lib/simulator/fleet-spec';
import {
  SimulatorHost,
  SimulatorMessage,
  SimulatorRunSettings,
  SimulatorRunner,
} from '../../../nodes/lib/simulator/simulator-runner';
import { FakeTime } from '../../support/fake-time';

const START = Date.UTC(2026, 10, 22, 6, 0);
/** The reference fleet: 80 devices every 5 s, spread evenly: one reading every 62.5 ms. */
const STEP = 62.5;

class Host implements SimulatorHost {
  sent: SimulatorMessage[] = [];
  errors: string[] = [];
  failNextSend = 0;
  send(msg: SimulatorMessage) {
    if (this.failNextSend > 0) {
      this.failNextSend--;
      throw new Error('the next node broke');
    }
    this.sent.push(msg);
  }
  error(message: string) {
    this.errors.push(message);
  }
  statusChanged() {}
  /** Simulated time of each reading sent, from START. */
  get times(): number[] {
    return this.sent.map((m) => Date.parse((m.payload as { timestamp: string }).timestamp) - START);
  }
}

function simulator(over: Partial<SimulatorRunSettings> = {}) {
  const time = new FakeTime(Date.UTC(2030, 0, 1));
  const host = new Host();
  const runner = new SimulatorRunner(
    {
      fleet: referenceFleet(),
      seed: 's1',
      startTime: new Date(START).toISOString(),
      intervalMs: 5000,
      speed: 1,
      mode: 'spread',
      topicTemplate: 'iot/sensors/{{device_type}}/{{device_id}}',
      clock: 'real',
      utcOffsetMinutes: 0,
      faults: [],
      ...over,
    },
    host,
    time,
  );
  return { time, host, runner };
}

describe('simulator runner', () => {
  it('sends each reading when simulated time reaches it, one timer at a time', async () => {
    const { time, host, runner } = simulator();
    should(runner.status()).eql({ fill: 'grey', shape: 'ring', text: 'stopped' });
    runner.command('start');
    should(time.waits).eql([20], 'the first reading is due at once: the shortest tick');
    await time.advanceSettling(4999);
    should(host.times).eql(Array.from({ length: 80 }, (_, k) => Math.floor(k * STEP)));
    should(host.sent[0].topic).equal('iot/sensors/temperature/TEMP_001');
    should(time.waits).eql([5000 - 4999]);
    should(runner.status()).eql({ fill: 'green', shape: 'dot', text: '80 dev 16/s 80' });
  });

  it('runs simulated time at the speed set, in slices no closer than 20 ms', async () => {
    const { time, host, runner } = simulator({ speed: 10 });
    runner.command('start');
    await time.advanceSettling(500);
    should(host.sent).have.length(81);
    should(Math.max(...host.times)).equal(5000, '500 ms at 10 x');
    should(time.waits).eql([20]);
  });

  it('holds simulated time while paused and sends no backlog on resume', async () => {
    const { time, host, runner } = simulator();
    runner.command('start');
    await time.advanceSettling(1000);
    should(host.sent).have.length(17);
    runner.command('pause');
    should(time.waits).eql([]);
    should(runner.status().fill).equal('yellow');
    await time.advanceSettling(60_000);
    should(host.sent).have.length(17);
    runner.command({ command: 'resume' });
    await time.advanceSettling(1000);
    const after = host.times.slice(17);
    should(after).have.length(16);
    should(after[0]).equal(1062, 'on from where it paused');
    should(after[15]).equal(2000);
  });

  it('sends a fleet far behind in slices, and drops that backlog on resume: the devices were off', async () => {
    const { time, host, runner } = simulator({ speed: 100_000 });
    runner.command('start');
    await time.advanceSettling(20);
    should(host.sent).have.length(20_000, 'one slice, though 2000 s of readings are due');
    runner.command('pause');
    runner.command('resume');
    host.sent = [];
    await time.advanceSettling(20);
    should(host.sent).have.length(20_000);
    should(host.times[0]).be.aboveOrEqual(2_000_000, 'on from the time it paused at');
  });

  it('changes the interval of the fleet running and of the next start', async () => {
    const { time, host, runner } = simulator();
    runner.command('start');
    await time.advanceSettling(1000);
    runner.command({ command: 'rate', intervalSec: 1 });
    should(runner.status().text).equal('80 dev 80/s 17');
    should(time.waits).eql([62.5], 'the tick of the old rate replaced');
    const before = host.sent.length;
    await time.advanceSettling(1000);
    // Every 12.5 ms from the next reading due at the old rate; sent in 20 ms slices, the last at 1982.5.
    should(host.times.slice(before)).eql(Array.from({ length: 74 }, (_, j) => Math.floor(1062.5 + j * 12.5)));
    runner.command('stop');
    runner.command('start');
    should(runner.status().text).equal('80 dev 80/s 0');
    should(() => runner.command({ command: 'rate', intervalSec: 0 })).throw(
      'intervalSec must be a number at least 0.001, got "0"',
    );
  });

  it('sends nothing after stop or close, and starts again from the start time', async () => {
    const { time, host, runner } = simulator();
    runner.command('start');
    await time.advanceSettling(1000);
    runner.command('stop');
    should(time.waits).eql([]);
    should(runner.stopped).be.true();
    await time.advanceSettling(60_000);
    should(host.sent).have.length(17);
    runner.command({ command: 'start' });
    await time.advanceSettling(1000);
    should(host.times.slice(17)).eql(host.times.slice(0, 17), 'the same readings from the same start');
    runner.close();
    should(time.waits).eql([]);
    await time.advanceSettling(60_000);
    should(host.sent).have.length(34);
  });

  it('starts a moment later when asked; a command that clears the timer before then cancels it', async () => {
    const a = simulator();
    a.runner.startSoon(100);
    should(a.time.waits).eql([100]);
    await a.time.advanceSettling(99);
    should(a.runner.stopped).be.true();
    await a.time.advanceSettling(1);
    should(a.runner.stopped).be.false();

    const b = simulator();
    b.runner.startSoon(100);
    b.runner.command('stop');
    await b.time.advanceSettling(1000);
    should(b.runner.stopped).be.true();
    should(b.host.sent).eql([]);

    const c = simulator({ fleet: undefined, setupError: 'deviceTypes: must be a non-empty array' });
    c.runner.startSoon(100);
    await c.time.advanceSettling(100);
    should(c.host.errors).eql(['telemetry-simulator: deviceTypes: must be a non-empty array']);
    should(() => c.runner.command('start')).throw('deviceTypes: must be a non-empty array');
  });

  it('on the manual clock moves only on advance, never on a timer', async () => {
    const { time, host, runner } = simulator({ clock: 'manual' });
    runner.command({ command: 'advance', ms: 4999 });
    should(host.sent).have.length(80);
    should(time.waits).eql([]);
    await time.advanceSettling(60_000);
    should(host.sent).have.length(80);
    runner.command({ command: 'advance', ms: 1 });
    should(host.times.slice(80)).eql([5000]);
    should(() => runner.command({ command: 'advance', ms: 365 * 86_400_000 })).throw(
      /would make 504576000 readings at once; the limit is 2000000: advance in smaller steps/,
    );
    should(host.sent).have.length(81);

    const real = simulator();
    should(() => real.runner.command({ command: 'advance', ms: 1 })).throw('"advance" needs the clock set to manual');
  });

  it('reports a tick that failed and goes on with the next', async () => {
    const { time, host, runner } = simulator();
    runner.command('start');
    host.failNextSend = 1;
    await time.advanceSettling(1000);
    should(host.errors).eql(['telemetry-simulator: the next node broke']);
    should(host.times).eql(Array.from({ length: 16 }, (_, k) => Math.floor((k + 1) * STEP)));
  });

  it('injects a fault only into a running fleet and a device that exists', () => {
    const { host, runner } = simulator({ clock: 'manual' });
    should(() => runner.command({ command: 'fault', kind: 'spike', device: 'TEMP_001' })).throw(
      'the simulator is stopped: send "start" before injecting a fault',
    );
    runner.command({ command: 'advance', ms: 0 });
    should(() => runner.command({ command: 'fault', kind: 'spike', device: 'NOPE_1' })).throw(
      'no device matches "NOPE_1"',
    );
    runner.command({ command: 'fault', kind: 'spike', device: 'TEMP_002' });
    runner.command({ command: 'advance', ms: 5000 });
    should(host.sent.filter((m) => m.simulatedFaults).map((m) => (m.payload as { device_id: string }).device_id)).eql([
      'TEMP_002',
    ]);
  });
});
