// XmppSession.send with Stream Management (XEP-0198) on a stand-in for xmpp.js's client: it
// resolves on the server's acknowledgement, fails as retryable when xmpp.js gives the stanza up,
// and resolves on the write when the stream has no Stream Management.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { type Element, xml } from '@xmpp/component';
import pino from 'pino';
import { NetworkError } from '../../src/networks/network.js';
import { type StreamManagement, XmppSession } from '../../src/networks/xmpp/session.js';

class StandInEntity extends EventEmitter {
  status = 'offline';
  reconnect = { stop: () => undefined };
  readonly streamManagement: StreamManagement & EventEmitter = Object.assign(new EventEmitter(), { enabled: true, requestAckDebounce: 250 });
  readonly written: Element[] = [];
  /** Each write's completion, resolved by the test (`undefined`: at once). */
  writeGate: Promise<void> | undefined;

  /** Whether the next opening resumes the stream (XEP-0198) rather than starting a new one. */
  resumes = false;

  connect = () => Promise.resolve();
  open = () => {
    setImmediate(() => {
      // As xmpp.js does: a resumed stream is online without an `online` event.
      if (this.resumes) {
        this.status = 'online';
        this.streamManagement.emit('resumed');
      } else this.emit('online');
    });
    return Promise.resolve();
  };
  stop = () => Promise.resolve();
  send = async (element: Element) => {
    this.written.push(element);
    await this.writeGate;
  };
}

function sessionOf(entity: StandInEntity, onOnline: () => void = () => undefined): XmppSession {
  return new XmppSession(entity, {
    service: 'xmpp://127.0.0.1:5222',
    domain: 'localhost',
    connectTimeoutSeconds: 5,
    sink: { status: () => undefined } as never,
    logger: pino({ level: 'silent' }),
    onOnline,
    onOffline: () => undefined,
    onStanza: () => undefined,
  });
}

async function onlineSession(): Promise<{ entity: StandInEntity; session: XmppSession }> {
  const entity = new StandInEntity();
  const session = sessionOf(entity);
  await session.start();
  return { entity, session };
}

const settled = (promise: Promise<unknown>) =>
  Promise.race([
    promise.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((resolve) => setImmediate(() => resolve('pending'))),
  ]);

describe('XMPP session: a stream resumed after a drop (XEP-0198)', () => {
  it('is online again at once, as a new stream is, not after the connect timeout', async () => {
    const entity = new StandInEntity();
    let onlines = 0;
    const session = sessionOf(entity, () => onlines++);
    await session.start();
    await new Promise((resolve) => setImmediate(resolve)); // the attempt is over
    entity.resumes = true;
    entity.emit('disconnect');
    assert.notEqual(session.status.state, 'online');
    const started = Date.now();
    while (session.status.state !== 'online') {
      assert.ok(Date.now() - started < 4000, `still ${session.status.state} (the connect timeout is 5 s)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(onlines, 2);
    await session.stop();
  });
});

describe('XMPP session: sends acknowledged by the server', () => {
  it('asks for acknowledgements after each burst, not 250 ms later', async () => {
    const { entity } = await onlineSession();
    assert.ok(entity.streamManagement.requestAckDebounce < 10);
  });

  it('resolves once the server acknowledged the stanza, not once it was written', async () => {
    const { entity, session } = await onlineSession();
    const sending = session.send(xml('message', { to: 'alice@localhost' }, xml('body', {}, 'hi')));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(entity.written.length, 1);
    assert.equal(await settled(sending), 'pending');
    entity.streamManagement.emit('ack', entity.written[0]);
    await sending;
  });

  it('fails as retryable when the stream could not resume, even while the write is pending', async () => {
    const { entity, session } = await onlineSession();
    let finishWrite!: () => void;
    entity.writeGate = new Promise((resolve) => (finishWrite = resolve));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sending = session.send(xml('message', { to: 'alice@localhost' }, xml('body', {}, 'hi')));
      await new Promise((resolve) => setImmediate(resolve));
      entity.streamManagement.emit('fail', entity.written[0]);
      await new Promise((resolve) => setImmediate(resolve));
      finishWrite();
      await assert.rejects(sending, (error: unknown) => error instanceof NetworkError && error.retryable);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('leaves the acknowledgements of other stanzas alone', async () => {
    const { entity, session } = await onlineSession();
    const first = session.send(xml('message', { to: 'a@localhost' }, xml('body', {}, '1')));
    const second = session.send(xml('message', { to: 'b@localhost' }, xml('body', {}, '2')));
    await new Promise((resolve) => setImmediate(resolve));
    entity.streamManagement.emit('ack', entity.written[1]);
    await second;
    assert.equal(await settled(first), 'pending');
    entity.streamManagement.emit('ack', entity.written[0]);
    await first;
  });

  it('resolves on the write when the stream has no Stream Management', async () => {
    const { entity, session } = await onlineSession();
    entity.streamManagement.enabled = false;
    await session.send(xml('message', { to: 'alice@localhost' }, xml('body', {}, 'hi')));
    assert.equal(entity.written.length, 1);
  });
});

describe('XMPP session: stopping', () => {
  it('destroys the socket that a server not answering the close left half-open', async () => {
    const { entity, session } = await onlineSession();
    const socket = new Socket();
    Object.assign(entity, { socket });
    // As xmpp.js does when the server never closes its side: it gives up and lets the socket go.
    entity.stop = () => {
      Object.assign(entity, { socket: null });
      return Promise.resolve();
    };
    await session.stop();
    assert.equal(socket.destroyed, true);
  });

  it('closes an attempt that comes online after the stop, instead of keeping a session for a stopped network', async () => {
    const entity = new StandInEntity();
    let finishConnect: () => void = () => undefined;
    entity.connect = () => new Promise<void>((resolve) => (finishConnect = resolve));
    let stops = 0;
    entity.stop = () => {
      stops++;
      return Promise.resolve();
    };
    const online: string[] = [];
    const session = sessionOf(entity, () => online.push('online'));
    const starting = session.start();
    await session.stop();
    const stopsAtStop = stops;
    finishConnect();
    await new Promise<void>((resolve) => entity.once('online', () => setImmediate(resolve)));
    assert.equal(stops, stopsAtStop + 1, 'stopped again once it came online');
    assert.deepEqual(online, [], 'never reported online');
    await starting.catch(() => undefined);
    assert.notEqual(session.status.state, 'online');
  });
});
