// What a durable writer's node shows in its status: connected and how much was written, retrying
// (in how long, why, how much waits), spooling, or the last error; under 20 characters where it
// can be, and never a raw server answer.

import type { Status } from '../node-io';
import { compactCount } from '../node-io';
import { shownText } from '../shown-text';
import type { DurableWriter } from './durable-writer';

export function writerStatus(w: DurableWriter | undefined): Status {
  if (!w) return { fill: 'grey', shape: 'ring', text: 'opening spool' };
  const written = `${compactCount(w.writtenLines)} written`;
  if (w.state === 'retrying') {
    return {
      fill: 'yellow',
      shape: 'ring',
      text: `retrying in ${Math.ceil(w.retryInMs / 1000)} s (${briefReason(w.error)}) · ${compactCount(w.waitingLines)} waiting · ${compactCount(w.spooledLines)} spooled`,
    };
  }
  if (w.spooledLines > 0)
    return { fill: 'yellow', shape: 'dot', text: `spooling ${compactCount(w.spooledLines)} · ${written}` };
  if (w.error) return { fill: 'red', shape: 'ring', text: `error · ${written}` };
  return {
    fill: 'green',
    shape: 'dot',
    text: `connected · ${written}${w.rejectedLines ? ` · ${compactCount(w.rejectedLines)} refused` : ''}`,
  };
}

/** Why writes fail, short enough for a status: the network or TLS error, or the HTTP status. */
function briefReason(reason: string): string {
  const brief = reason.replace(/^cannot reach \S+?: /, '').replace(/^(the server answered \d+):[\s\S]*$/, '$1');
  return shownText(brief, 60);
}
