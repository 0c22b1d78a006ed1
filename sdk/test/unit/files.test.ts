// The client's file calls against a bridge stand-in: an upload carries the session's token to the
// client's bridge URL, a send carries the files' ids, and `fileLink` asks `file:link`.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Attachment, Message, Session } from '@switchboard/protocol';
import { type SwitchboardClient, createClient } from '../../src/client.js';
import { SwitchboardError } from '../../src/errors.js';
import { standIn } from './bridge-stand-in.js';

const SESSION: Session = { token: 'visitor-token', self: 'web:v_dana', role: 'visitor', siteKey: 'shop' };
const FILE: Attachment = { id: 'f_1', name: 'cat.png', type: 'image/png', size: 5, sha256: 'ab' };

describe('SDK files', () => {
  const uploads: { url: string; authorization: string | undefined }[] = [];
  const http = createServer((req, res) => {
    if (!req.url?.startsWith('/v1/files')) return;
    uploads.push({ url: req.url, authorization: req.headers.authorization });
    req.resume();
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      const refused = req.url!.includes('name=big.bin');
      res.statusCode = refused ? 413 : 201;
      res.end(JSON.stringify(refused ? { error: { code: 'too_large', message: 'files here are at most 1 MiB' } } : { ok: true, file: FILE }));
    });
  });
  const bridge = standIn(
    SESSION,
    {
      'message:send': (payload): { message: Message } => ({
        message: {
          id: 'm1',
          conversationId: 'c1',
          seq: 1,
          from: SESSION.self,
          text: String(payload.text),
          sentAt: new Date(0).toISOString(),
          attachments: [FILE],
        },
      }),
      'file:link': (payload) => ({
        url: `http://files/${String(payload.fileId)}/${payload.variant === 'thumbnail' ? 'thumbnail' : 'original'}`,
        expiresAt: '2026-01-01T01:00:00.000Z',
      }),
    },
    http,
  );
  let client: SwitchboardClient;

  before(async () => {
    client = createClient({ url: `${await bridge.listen()}/`, siteKey: 'shop', storage: null, ackTimeoutMs: 2000 });
    await client.ready();
  });
  after(async () => {
    client.disconnect();
    await bridge.close();
  });

  it("uploads to the client's bridge with the session token, and maps a refusal", async () => {
    assert.deepEqual(await client.uploadFile('c1', new File(['hello'], 'cat.png')), FILE);
    assert.deepEqual(uploads.at(-1), { url: '/v1/files?conversationId=c1&name=cat.png', authorization: 'Bearer visitor-token' });
    await assert.rejects(
      client.uploadFile('c1', new Blob(['x']), { name: 'big.bin' }),
      (error: unknown) => error instanceof SwitchboardError && error.code === 'too_large' && error.message === 'files here are at most 1 MiB',
    );
  });

  it("sends the files' ids with the text (which may be empty), and the message carries them", async () => {
    const message = await client.send('c1', '', { attachments: [FILE, 'f_2'] });
    assert.deepEqual(bridge.received.at(-1)?.[0], 'message:send');
    assert.deepEqual((bridge.received.at(-1)?.[1] as { attachments: string[] }).attachments, ['f_1', 'f_2']);
    assert.deepEqual(message.attachments, [FILE]);
    await client.send('c1', 'no files');
    assert.equal('attachments' in (bridge.received.at(-1)?.[1] as object), false);
  });

  it('asks file:link for a link, the original unless a variant is named', async () => {
    assert.deepEqual(await client.fileLink('f_1'), { url: 'http://files/f_1/original', expiresAt: '2026-01-01T01:00:00.000Z' });
    assert.deepEqual(bridge.received.at(-1), ['file:link', { fileId: 'f_1' }]);
    assert.equal((await client.fileLink('f_1', 'thumbnail')).url, 'http://files/f_1/thumbnail');
  });
});
