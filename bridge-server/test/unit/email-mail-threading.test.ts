import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MailThreads } from '../../src/networks/email/email-thread.js';
import { readMail } from '../../src/networks/email/mail-reading.js';
import type { NetworkRecords } from '../../src/networks/network.js';
import {
  MAX_REFERENCES,
  PlusAddresses,
  isMessageId,
  isOwnMessageId,
  matchConversation,
  messageIdFor,
  messageNamedBy,
  messageOfMessageId,
  newMessageId,
  threadHeaders,
} from '../../src/networks/email/mail-threading.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const CONVERSATION = 'c_0mj1x9k2pa1b2c3d4e5f60718293a';

function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url));
}

describe('Email threading', () => {
  it("writes unique Message-IDs under the bridge's domain", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newMessageId('Bridge.Example.com')));
    assert.equal(ids.size, 1000);
    for (const id of ids) {
      assert.match(id, /^<[0-9a-z]+\.[0-9a-f]{32}@bridge\.example\.com>$/);
      assert.ok(isMessageId(id));
    }
    assert.throws(() => newMessageId('bad domain>\r\nBcc: x@y'), /not a domain/);
    assert.ok(isOwnMessageId(newMessageId('bridge.example.com'), 'Bridge.Example.com'));
    assert.ok(!isOwnMessageId('<x@mail.gmail.com>', 'bridge.example.com'));
    assert.ok(!isOwnMessageId('<x@evil-bridge.example.com>', 'bridge.example.com'));
  });

  it('gives a message mailed to a recipient the same Message-ID on every attempt, another per recipient and per secret', () => {
    const first = messageIdFor(SECRET, 'bridge.example.com', 'm_0mj1abc', 'dana@example.org');
    assert.equal(messageIdFor(SECRET, 'bridge.example.com', 'm_0mj1abc', 'Dana@Example.org'), first);
    assert.match(first, /^<m\.m_0mj1abc\.[a-z2-7]{26}@bridge\.example\.com>$/);
    assert.notEqual(messageIdFor(SECRET, 'bridge.example.com', 'm_0mj1abc', 'sam@example.org'), first);
    assert.notEqual(messageIdFor(`${SECRET}!`, 'bridge.example.com', 'm_0mj1abc', 'dana@example.org'), first);
  });

  it('reads the stored message back from its Message-ID only for the recipient it was made for, and refuses a forged MAC', () => {
    const id = messageIdFor(SECRET, 'bridge.example.com', 'm_0mj1abc', 'dana@example.org');
    assert.equal(messageOfMessageId(SECRET, 'bridge.example.com', id, 'dana@example.org'), 'm_0mj1abc');
    assert.equal(messageOfMessageId(SECRET, 'Bridge.Example.com', id.toUpperCase(), 'Dana@Example.org'), 'm_0mj1abc');
    assert.equal(messageOfMessageId(SECRET, 'bridge.example.com', id, 'sam@example.org'), null);
    assert.equal(messageOfMessageId(`${SECRET}!`, 'bridge.example.com', id, 'dana@example.org'), null);
    assert.equal(messageOfMessageId(SECRET, 'other.example.com', id, 'dana@example.org'), null);
    const mac = /\.([a-z2-7]{26})@/.exec(id)![1]!;
    const forged = mac.slice(0, -1) + (mac.endsWith('a') ? 'b' : 'a');
    assert.equal(messageOfMessageId(SECRET, 'bridge.example.com', id.replace(mac, forged), 'dana@example.org'), null);
    // Another message under this message's MAC, or a MAC cut short, is not the bridge's.
    assert.equal(messageOfMessageId(SECRET, 'bridge.example.com', id.replace('m_0mj1abc', 'm_0mj1abd'), 'dana@example.org'), null);
    assert.equal(messageOfMessageId(SECRET, 'bridge.example.com', id.replace(mac, mac.slice(0, 16)), 'dana@example.org'), null);
    for (const other of ['<d1@example.org>', '<m.abc@bridge.example.com>', '', '<m..@bridge.example.com>'])
      assert.equal(messageOfMessageId(SECRET, 'bridge.example.com', other, 'dana@example.org'), null);
    assert.throws(() => messageIdFor(SECRET, 'bridge.example.com', 'm.1>\r\nBcc: x@y', 'dana@example.org'), /not a message id/);
  });

  it("names the message of a Message-ID in the bridge's form without checking its MAC, for a check per candidate recipient", () => {
    const id = messageIdFor(SECRET, 'bridge.example.com', 'm_0mj1abc', 'dana@example.org');
    assert.equal(messageNamedBy('bridge.example.com', id), 'm_0mj1abc');
    assert.equal(messageNamedBy('bridge.example.com', id.replace(/\.[a-z2-7]{26}@/, `.${'a'.repeat(26)}@`)), 'm_0mj1abc');
    for (const other of ['<d1@example.org>', '<m.abc@bridge.example.com>', id.replace('bridge.', 'other.'), '<m.m_0mj1abc.short@bridge.example.com>'])
      assert.equal(messageNamedBy('bridge.example.com', other), null);
  });

  it("answers the thread's latest mail and references the chain, trimmed to the first and the latest", () => {
    assert.deepEqual(threadHeaders([]), {});
    assert.deepEqual(threadHeaders(['<a@x>']), { inReplyTo: '<a@x>', references: ['<a@x>'] });
    assert.deepEqual(threadHeaders(['<a@x>', '<b@y>', '<a@x>', '<c@x>']), { inReplyTo: '<c@x>', references: ['<a@x>', '<b@y>', '<c@x>'] });
    const chain = Array.from({ length: 50 }, (_, index) => `<m${index}@x>`);
    const { inReplyTo, references } = threadHeaders(chain);
    assert.equal(inReplyTo, '<m49@x>');
    assert.equal(references?.length, MAX_REFERENCES);
    assert.deepEqual(references?.slice(0, 3), ['<m0@x>', '<m31@x>', '<m32@x>']);
    assert.equal(references?.at(-1), '<m49@x>');
  });

  it('writes no value that is not a Message-ID into thread headers', () => {
    const hostile = ['<a@x>\r\nBcc: evil@example.net', '<b@x> <c@x>', 'plain@x', '<no-at>', '<d@x\u0000>', `<${'l'.repeat(300)}@x>`, '<ok@x>'];
    assert.deepEqual(threadHeaders(hostile), { inReplyTo: '<ok@x>', references: ['<ok@x>'] });
  });

  it('makes a plus address only the bridge can make, and reads the conversation back from it whatever its case', () => {
    const plus = new PlusAddresses(SECRET);
    const address = plus.addressOf('Support@Example.com', CONVERSATION);
    assert.match(address ?? '', /^support\+c_0mj1x9k2pa1b2c3d4e5f60718293a-[a-z2-7]{16}@example\.com$/);
    assert.ok(address!.split('@')[0]!.length <= 64, 'a local part of at most 64 characters (RFC 5321 section 4.5.3.1.1)');
    assert.equal(plus.conversationOf(address!), CONVERSATION);
    assert.equal(plus.conversationOf(address!.toUpperCase()), CONVERSATION);
    assert.equal(new PlusAddresses(`${SECRET}!`).conversationOf(address!), null, 'another secret');
    const forged = address!.replace(/-[a-z2-7]{16}@/, '-aaaaaaaaaaaaaaaa@');
    assert.equal(plus.conversationOf(forged), null, 'a guessed MAC');
    assert.equal(plus.conversationOf(address!.replace(CONVERSATION, 'c_0mj1x9k2pa1b2c3d4e5f60718293b')), null, "another conversation's id with this MAC");
    assert.equal(plus.conversationOf('support@example.com'), null);
    assert.equal(plus.conversationOf('support+@example.com'), null);
    assert.equal(plus.conversationOf('nonsense'), null);
    assert.equal(plus.addressOf('support@example.com', 'C_Upper'), null, 'an id a local part cannot carry as it is');
    assert.equal(plus.addressOf('support@example.com', 'c-1'), null);
  });

  it('makes no plus address whose local part would pass 64 characters (RFC 5321 section 4.5.3.1.1)', () => {
    const plus = new PlusAddresses(SECRET);
    // The conversation's id (31) and MAC (16) with their separators leave 15 characters for the mailbox's name.
    assert.equal(plus.addressOf('customerservice@example.com', CONVERSATION)!.split('@')[0]!.length, 64);
    assert.equal(plus.addressOf('customer-support@example.com', CONVERSATION), null);
  });

  it('reads a dash separator even when the mailbox name holds dashes', () => {
    const plus = new PlusAddresses(SECRET, '-');
    const address = plus.addressOf('customer-care@example.com', CONVERSATION)!;
    assert.match(address, /^customer-care-c_0mj1x9k2pa1b2c3d4e5f60718293a-[a-z2-7]{16}@example\.com$/);
    assert.equal(plus.conversationOf(address), CONVERSATION);
  });

  describe('matching an inbound mail to its conversation', () => {
    const plusAddresses = new PlusAddresses(SECRET);
    const known = new Map([
      ['<m.5f4e3d2c1b0a@bridge.example.com>', 'c_latest'],
      ['<m.0a1b2c3d4e5f@bridge.example.com>', 'c_first'],
    ]);
    const lookups: string[] = [];
    const lookup = {
      plusAddresses,
      conversationOfMessageId: async (id: string) => {
        lookups.push(id);
        return known.get(id) ?? null;
      },
    };

    it("joins a reply to the conversation of the mail it answers (In-Reply-To), then of its References' latest known", async () => {
      assert.deepEqual(await matchConversation(await readMail(fixture('thunderbird-reply.eml')), lookup), { conversationId: 'c_latest', by: 'in-reply-to' });
      const reply = {
        inReplyTo: '<unknown@example.org>',
        references: ['<m.0a1b2c3d4e5f@bridge.example.com>', '<other@example.org>'],
        to: [],
        cc: [],
        deliveredTo: [],
      };
      assert.deepEqual(await matchConversation(reply, lookup), { conversationId: 'c_first', by: 'references' });
    });

    it('falls back to the plus address (envelope recipient first), and never to the subject', async () => {
      const address = plusAddresses.addressOf('support@example.com', CONVERSATION)!;
      const unthreaded = { inReplyTo: null, references: [], to: ['support@example.com'], cc: [address], deliveredTo: [] };
      assert.deepEqual(await matchConversation(unthreaded, lookup), { conversationId: CONVERSATION, by: 'plus-address' });
      const html = await readMail(fixture('html-only.eml'));
      assert.equal(await matchConversation(html, lookup), null, 'a first mail');
      const sameSubject = {
        inReplyTo: null,
        references: [],
        to: ['support@example.com'],
        cc: [],
        deliveredTo: ['support+c_latest-aaaaaaaaaaaaaaaa@example.com'],
      };
      assert.equal(await matchConversation(sameSubject, lookup), null, 'a forged token');
    });

    it('looks up a bounded number of thread headers, each once', async () => {
      lookups.length = 0;
      const flood = { inReplyTo: '<r0@x>', references: Array.from({ length: 500 }, (_, index) => `<r${index % 250}@x>`), to: [], cc: [], deliveredTo: [] };
      assert.equal(await matchConversation(flood, lookup), null);
      assert.equal(lookups.length, 20);
      assert.equal(new Set(lookups).size, 20);
    });

    it('lets a failing lookup reach the caller, so that the mail is not taken for a new one', async () => {
      const failing = { plusAddresses, conversationOfMessageId: async () => Promise.reject(new Error('store down')) };
      await assert.rejects(matchConversation({ inReplyTo: '<a@x>', references: [], to: [], cc: [], deliveredTo: [] }, failing), /store down/);
    });
  });
});

describe("a conversation's mail thread", () => {
  it('keeps its first Message-ID however long it grows, with the latest after it', async () => {
    const kept = new Map<string, string>();
    const records = {
      thread: (id: string) => Promise.resolve(kept.get(id) ?? null),
      setThread: (id: string, value: string | null) => Promise.resolve(void (value === null ? kept.delete(id) : kept.set(id, value))),
    } as unknown as NetworkRecords;
    const threads = new MailThreads(records, { secret: 'a-test-secret-of-at-least-32-characters', domain: 'bridge.example.com' });
    const ids = Array.from({ length: 60 }, (_, i) => `<mail-${i}@example.org>`);
    for (const id of ids) await threads.add('c1', id, 'My order');
    const { chain } = await threads.of('c1');
    assert.equal(chain.length, 50);
    assert.deepEqual(chain, [ids[0], ...ids.slice(-49)]);
    assert.equal(threadHeaders(chain).references?.[0], ids[0], 'References start with the first mail');
  });
});
