// Acknowledgements held back until the journals have written the messages they acknowledge.
//
// MQTT.js sends a message's PUBACK (PUBCOMP for QoS 2) from handleMessage's callback, and reads
// the next packet only after it. Writing the journal before each callback would cost a write(2)
// per message. Instead, the acknowledgement that a callback sends is held here, so the next packet
// comes at once. When the packets already read have been handled (setImmediate), or when
// MAX_HELD are held, the journals commit what they staged (one write each) and the held
// acknowledgements go out. An acknowledgement still leaves only after its message is written.
// A connection that closes first takes its held acknowledgements with it, and the broker sends
// those messages again.
//
// This reaches into MQTT.js: its handlers send acknowledgements through the client's
// _sendPacket (MQTT.js 4 and 5). That is checked on the first message that needs one. That
// message is committed before its callback either way. If its acknowledgement did not pass
// through here, every later message is committed before its callback too (one write each).

import type { IPublishPacket, MqttClient } from 'mqtt';

interface AckPacket {
  cmd: string;
}
type SendPacket = (packet: AckPacket, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/** Acknowledgements held at most; past it, the journals commit at once. */
export const MAX_HELD = 1000;

export class DeferredAcks {
  private held: AckPacket[] = [];
  /** The connection (MQTT.js stream) the held acknowledgements belong to. */
  private heldOn: unknown;
  private capturing = false;
  private captured = 0;
  private mode: 'unverified' | 'deferred' | 'direct' = 'direct';
  private scheduled: NodeJS.Immediate | undefined;
  private readonly send: SendPacket | undefined;

  /**
   * @param commit writes what every journal staged; throws when one cannot be written.
   * @param failed told when a commit failed or abandon was called (see abandon).
   */
  constructor(
    private readonly client: MqttClient,
    private readonly commit: () => void,
    private readonly failed: (e: unknown) => void,
  ) {
    const c = client as unknown as { _sendPacket?: SendPacket };
    const original = c._sendPacket;
    if (typeof original !== 'function') return;
    const send: SendPacket = original.bind(client);
    this.send = send;
    this.mode = 'unverified';
    c._sendPacket = (packet, cb, ...rest) => {
      if (!this.capturing || (packet.cmd !== 'puback' && packet.cmd !== 'pubcomp')) return send(packet, cb, ...rest);
      if (this.heldOn !== client.stream) {
        this.held = [];
        this.heldOn = client.stream;
      }
      this.captured++;
      this.held.push(packet);
      cb?.();
    };
  }

  /** Calls MQTT.js's callback for a message every journal has taken (staged, not yet written). */
  acknowledge(packet: IPublishPacket, callback: () => void): void {
    // Packets MQTT.js still hands over from a connection that closed: acknowledged there, they
    // would be queued for the next connection, where their ids mean other messages.
    if (!this.client.connected) return;
    const needsAck = packet.qos > 0;
    if (this.mode === 'direct' || (this.mode === 'unverified' && needsAck)) {
      if (!this.commitAll()) return;
    }
    if (this.mode === 'direct') {
      callback();
      return;
    }
    const before = this.captured;
    this.capturing = true;
    try {
      callback();
    } finally {
      this.capturing = false;
    }
    if (this.mode === 'unverified' && needsAck) this.mode = this.captured > before ? 'deferred' : 'direct';
    if (this.held.length >= MAX_HELD || this.mode === 'direct') this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Commits the journals, then sends the acknowledgements held for the current connection. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.commitAll()) return;
    const held = this.held;
    this.held = [];
    const stream = this.client.stream as { destroyed?: boolean } | undefined;
    if (held.length === 0 || this.heldOn !== stream || stream?.destroyed) return;
    for (const p of held) this.send?.(p);
  }

  /** A journal could not take or write messages: nothing held is sent, and the connection is
   *  closed (MQTT.js connects again), so that the broker sends again what was not acknowledged. */
  abandon(e: unknown): void {
    this.held = [];
    this.failed(e);
    (this.client.stream as { destroy?: () => void } | undefined)?.destroy?.();
  }

  private commitAll(): boolean {
    try {
      this.commit();
      return true;
    } catch (e) {
      this.abandon(e);
      return false;
    }
  }
}
