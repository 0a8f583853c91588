// The official client logs every failed write to the console; in tests where refusals are the
// point, that is noise. Call inside a describe(): silent for its tests, restored after.
import { setLogger } from '@influxdata/influxdb3-client';

export function silenceClientLog(): void {
  let previous: ReturnType<typeof setLogger> | undefined;
  before(() => {
    previous = setLogger({ error: () => undefined, warn: () => undefined });
  });
  after(() => {
    if (previous) setLogger(previous);
  });
}
