import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { createClient, memoryStorage } from '@switchboard/sdk';
import { io } from 'socket.io-client';
import { CLI, exited, runCli } from '../cli-process.js';
import { freePort } from '../servers/ports.js';
import { SITE, type V1Socket, baseConfig, call, startBridge } from '../helpers.js';

describe('restarts', () => {
  let dir: string;
  let configPath: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-restart-'));
    configPath = join(dir, 'config.json');
    const config = baseConfig(dir);
    writeFileSync(configPath, JSON.stringify({ ...config, server: { host: '127.0.0.1', port: 0 }, store: { type: 'sqlite', path: 'data/switchboard.db' } }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loses nothing acked when the process is killed with SIGKILL right after the acks', async () => {
    const first = await runCli(configPath);
    const socket: V1Socket = io(`${first.url}/v1`, { auth: { siteKey: SITE }, transports: ['websocket'], reconnection: false });
    const session = await new Promise<{ token: string }>((resolve) => socket.once('session', resolve));
    const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
    const sends = Array.from({ length: 50 }, (_, i) => call(socket, 'message:send', { conversationId, clientId: `k${i}`, text: `durable ${i}` }));
    const acked: Message[] = (await Promise.all(sends)).map((r) => r.message);
    first.child.kill('SIGKILL');
    await exited(first.child);
    socket.disconnect();

    const second = await runCli(configPath);
    try {
      const again: V1Socket = io(`${second.url}/v1`, { auth: { siteKey: SITE, token: session.token }, transports: ['websocket'], reconnection: false });
      await new Promise((resolve) => again.once('session', resolve));
      const history = await call(again, 'history:get', { conversationId, limit: 100 });
      assert.deepEqual(
        history.messages.map((m: Message) => m.id),
        acked.map((m) => m.id),
      );
      assert.deepEqual(
        history.messages.map((m: Message) => m.seq),
        acked.map((_, i) => i + 1),
      );
      // The same clientId after the restart is still recognised: nothing stored twice.
      const resent = await call(again, 'message:send', { conversationId, clientId: 'k0', text: 'durable 0' });
      assert.equal(resent.message.id, acked[0]!.id);
      const next = await call(again, 'message:send', { conversationId, clientId: 'k-new', text: 'after restart' });
      assert.equal(next.message.seq, 51);
      again.disconnect();
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  });

  it('SIGKILL in the middle of an SDK stream: the outbox resends, nothing acked lost, nothing doubled, seq gap-free', async (context) => {
    // A port of the harness's (not one the system may hand to another connection while the bridge is down).
    const port = String(await freePort());
    const first = await runCli(configPath, { PORT: port });
    const client = createClient({ url: first.url, siteKey: SITE, storage: memoryStorage(), transports: ['websocket'], ackTimeoutMs: 2000 });
    let second: { child: ChildProcess; url: string } | undefined;
    try {
      await client.ready();
      const conversationId = (await client.openConversation({ team: 'support' })).id;
      const COUNT = 300;
      const ackedBeforeKill = new Map<number, Message>();
      let killed = false;
      let restarted: Promise<void> | undefined;
      const sends = Array.from({ length: COUNT }, (_, i) =>
        client.send(conversationId, `stream ${i}`).then((message) => {
          if (!killed) ackedBeforeKill.set(i, message);
          if (!killed && ackedBeforeKill.size === 100) {
            killed = true;
            first.child.kill('SIGKILL');
            restarted = exited(first.child).then(async () => {
              second = await runCli(configPath, { PORT: port });
            });
          }
          return message;
        }),
      );
      const all = await Promise.all(sends);
      await restarted;
      assert.ok(killed && second, 'the bridge was killed and restarted mid-stream');
      const history: Message[] = [];
      const again: V1Socket = io(`${second.url}/v1`, { auth: { siteKey: SITE, token: client.session!.token }, transports: ['websocket'], reconnection: false });
      await new Promise((resolve) => again.once('session', resolve));
      for (let afterSeq = 0; ;) {
        const page = (await call(again, 'history:get', { conversationId, afterSeq, limit: 100 })).messages;
        if (page.length === 0) break;
        history.push(...page);
        afterSeq = page.at(-1)!.seq;
      }
      again.disconnect();
      const lost = [...ackedBeforeKill].filter(([, m]) => !history.some((h) => h.id === m.id)).length;
      const texts = history.map((m) => m.text);
      const doubled = texts.length - new Set(texts).size;
      context.diagnostic(
        `SDK stream through SIGKILL: sent ${COUNT}, acked before the kill ${ackedBeforeKill.size}, acked in all ${all.length}, stored ${history.length}, lost ${lost}, doubled ${doubled}`,
      );
      assert.equal(lost, 0);
      assert.equal(doubled, 0);
      assert.deepEqual(
        texts,
        Array.from({ length: COUNT }, (_, i) => `stream ${i}`),
      );
      assert.deepEqual(
        history.map((m) => m.seq),
        Array.from({ length: COUNT }, (_, i) => i + 1),
      );
      assert.deepEqual(
        all.map((m) => m.id),
        history.map((m) => m.id),
        'every send resolved with the stored message',
      );
    } finally {
      client.disconnect();
      first.child.kill('SIGKILL');
      if (second) {
        second.child.kill('SIGTERM');
        await exited(second.child);
      }
    }
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const run = await runCli(configPath);
    const socket = io(`${run.url}/v1`, { auth: { siteKey: SITE }, transports: ['websocket'], reconnection: false });
    await new Promise((resolve) => socket.once('session', resolve));
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
    run.child.kill('SIGTERM');
    assert.equal(await exited(run.child), 0);
    await disconnected;
  });

  it('stops within its drain time while a keep-alive client goes on polling /readyz', async () => {
    const t = await startBridge({ server: { host: '127.0.0.1', port: 0, drainSeconds: 1 } });
    const { port } = new URL(t.url);
    // A readiness probe on one kept-alive connection, a request of it under way as the bridge stops
    // (its last line not written yet), then asking again every 100 ms for as long as it is answered.
    const probe = connectTcp(Number(port), '127.0.0.1');
    await once(probe, 'connect');
    let answers = 0;
    let closed = false;
    probe.on('data', (chunk: Buffer) => (answers += chunk.toString().split('HTTP/1.1 ').length - 1));
    probe.on('close', () => (closed = true));
    probe.on('error', () => undefined);
    probe.write('GET /readyz HTTP/1.1\r\nHost: bridge\r\n');
    const stopping = t.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    probe.write('\r\n');
    const asking = setInterval(() => closed || probe.write('GET /readyz HTTP/1.1\r\nHost: bridge\r\n\r\n'), 100);
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still stopping after 15 s'), 15_000).unref());
    try {
      assert.equal(await Promise.race([stopping.then(() => 'stopped'), timeout]), 'stopped');
      assert.ok(answers >= 1, 'the request under way was answered');
    } finally {
      clearInterval(asking);
      probe.destroy();
    }
  });

  it('stops with a message naming the field for a wrong config', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ sites: [{ key: 'ok-site', origins: ['not a url'] }], store: { type: 'sqlite', path: 'x.db' } }));
    const child = spawn(process.execPath, [CLI, '--config', bad], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    assert.equal(await exited(child), 1);
    assert.match(stderr, /sites\[0\]\.origins\[0\]/);
  });

  it('stops with a clear message when the port is taken', async () => {
    const first = await runCli(configPath);
    const port = new URL(first.url).port;
    try {
      // A second copy on the same store, by mistake: it stops before its start-up does anything
      // (it would clear the running one's uploads under way, resume its outbox, connect its networks).
      const child = spawn(process.execPath, [CLI, '--config', configPath], {
        env: { ...process.env, PORT: port, LOG_LEVEL: 'debug' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      assert.equal(await exited(child), 1);
      assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*PORT`));
      assert.equal(stdout, '', 'nothing started before the port was found taken');
      // Nor is a store opened: one in a folder of its own is not even made.
      const elsewhere = join(dir, 'elsewhere.json');
      const running = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
      writeFileSync(elsewhere, JSON.stringify({ ...running, store: { type: 'sqlite', path: 'second/switchboard.db' } }));
      const other = spawn(process.execPath, [CLI, '--config', elsewhere], { env: { ...process.env, PORT: port }, stdio: 'ignore' });
      assert.equal(await exited(other), 1);
      assert.equal(existsSync(join(dir, 'second')), false, 'no store opened');
    } finally {
      first.child.kill('SIGTERM');
      await exited(first.child);
    }
  });

  it('stops with a clear message for a missing config file, and honours SWITCHBOARD_CONFIG', async () => {
    const child = spawn(process.execPath, [CLI, '--config', join(dir, 'missing.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    assert.equal(await exited(child), 1);
    assert.match(stderr, /Cannot read the configuration file/);
    const viaEnv = spawn(process.execPath, [CLI], {
      env: { ...process.env, SWITCHBOARD_CONFIG: configPath, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve) => viaEnv.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('bridge listening') && resolve()));
    viaEnv.kill('SIGTERM');
    assert.equal(await exited(viaEnv), 0);
  });
});
