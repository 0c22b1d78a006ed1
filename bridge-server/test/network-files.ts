/** Files as the networks' tests handle them: real content the bridge recognises, uploads, and reading them back. */
import assert from 'node:assert/strict';
import type { Attachment, Message } from '@switchboard/protocol';
import { type TestBridge, type V1Socket, call } from './helpers.js';

/** A 1x1 PNG (its first byte, 0x89, is no UTF-8: a SIP body of it travels in a binary WebSocket frame). */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** A small valid PDF (one empty page), with bytes beyond ASCII. */
export const PDF = Buffer.from(
  [
    '%PDF-1.4',
    '%\u00e2\u00e3\u00cf\u00d3',
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj',
    'trailer << /Root 1 0 R >>',
    '%%EOF',
    '',
  ].join('\n'),
  'latin1',
);

/** Uploads a file into a conversation with a party's session token (POST /v1/files). */
export async function upload(t: TestBridge, token: string, conversationId: string, name: string, content: Buffer): Promise<Attachment> {
  const query = new URLSearchParams({ conversationId, name });
  const response = await fetch(`${t.url}/v1/files?${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(content),
  });
  const body = (await response.json()) as { ok: boolean; file: Attachment };
  assert.equal(response.status, 201, JSON.stringify(body));
  return body.file;
}

/** A file's bytes as a party reads them (GET /v1/files/:id with its session token). */
export async function download(t: TestBridge, token: string, fileId: string): Promise<Buffer> {
  const response = await fetch(`${t.url}/v1/files/${encodeURIComponent(fileId)}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, `GET /v1/files/${fileId}`);
  return Buffer.from(await response.arrayBuffer());
}

/** What a link a network carried answers (a signed link opens without a session). */
export async function fetchLink(url: string): Promise<Buffer> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return Buffer.from(await response.arrayBuffer());
}

/** The links in a text. */
export const linksIn = (text: string): string[] => text.match(/https?:\/\/\S+/g) ?? [];

/** Sends a message with files (`message:send` with `attachments`) and checks it was taken. */
export async function sendFiles(socket: V1Socket, conversationId: string, text: string, files: readonly Attachment[]): Promise<Message> {
  const sent = await call(socket, 'message:send', { conversationId, clientId: `files-${Math.random()}`, text, attachments: files.map((file) => file.id) });
  assert.ok(sent.ok, JSON.stringify(sent));
  return sent.message;
}
