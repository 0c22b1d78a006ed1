import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLIENT_EVENTS,
  ERROR_CODES,
  HTTP_STATUS,
  LIMITS,
  RETRYABLE_CODES,
  actionLine,
  actionOf,
  isAddress,
  isBlankText,
  isErrorCode,
  parseAddress,
} from '@switchboard/protocol';
import { clientEventSchemas, describeIssues, handshakeAuthSchema, messageSendSchema, restMessageSchema } from '@switchboard/protocol/schemas';

describe('protocol module', () => {
  it('has a schema for every client event', () => {
    assert.deepEqual(Object.keys(clientEventSchemas).sort(), [...CLIENT_EVENTS].sort());
  });

  it('maps every error code to an HTTP status', () => {
    for (const code of ERROR_CODES) assert.ok(HTTP_STATUS[code] >= 400);
    assert.ok([...RETRYABLE_CODES].every(isErrorCode));
    assert.equal(isErrorCode('nope'), false);
  });

  it('parses addresses of every network', () => {
    assert.deepEqual(parseAddress('xmpp:alice@example.org'), { network: 'xmpp', id: 'alice@example.org' });
    assert.deepEqual(parseAddress('sip:bob@example.com'), { network: 'sip', id: 'bob@example.com' });
    for (const good of ['web:v_7f3a9c', 'irc:alice@libera', 'web:a_alice']) assert.equal(isAddress(good), true, good);
    for (const bad of ['alice', ':x', 'web:', 'Web:x', 'web:a b', 'web:a\nb', 42]) assert.equal(isAddress(bad), false, String(bad));
  });

  it('names the offending field in one sentence', () => {
    const result = messageSendSchema.safeParse({ conversationId: 5, clientId: 'a', text: 'x' });
    assert.equal(result.success, false);
    assert.equal(describeIssues(result.error), 'conversationId: expected string, received number');
    const nested = handshakeAuthSchema.safeParse({ identity: { userId: 'a', hash: 5 } });
    assert.match(describeIssues(nested.error!), /^identity\.hash: /);
  });

  it('refuses a text that shows nothing: blanks, line breaks, zero-width characters; keeps one with an emoji sequence', () => {
    const send = (text: string) => messageSendSchema.safeParse({ conversationId: 'c', clientId: 'k', text });
    for (const blank of ['', '  ', '\n\t', '\u200b', '\u200b\u200d \ufeff', '\u2060\n']) {
      const result = send(blank);
      assert.equal(result.success, false, JSON.stringify(blank));
      assert.equal(describeIssues(result.error), 'text: must not be empty or blank');
    }
    for (const shown of ['hi', '\u{1F469}\u200D\u{1F4BB}', '\u200bx']) assert.equal(send(shown).success, true, JSON.stringify(shown));
    assert.equal(isBlankText('\u200b \u200c'), true);
  });

  it('reads an action (`/me ...`) as its words, and names who did it in one line; any other text is none', () => {
    assert.equal(actionOf('/me checks the stock'), 'checks the stock');
    assert.equal(actionLine('Alice', '/me checks the stock'), '* Alice checks the stock');
    for (const text of ['/me', '/me ', '/me  ', '/meow', 'say /me waves', ' /me waves', '/ME waves']) {
      assert.equal(actionOf(text), undefined, JSON.stringify(text));
      assert.equal(actionLine('Alice', text), undefined, JSON.stringify(text));
    }
  });

  it('counts the bounds of texts in code points, as the contract says: an emoji is one character', () => {
    const emoji = (n: number) => '\u{1F600}'.repeat(n);
    const cases: [keyof typeof clientEventSchemas, (text: string) => Record<string, unknown>, number][] = [
      ['presence:set', (text) => ({ status: 'available', text }), 200],
      ['profile:update', (name) => ({ name }), 200],
      ['conversation:rate', (comment) => ({ conversationId: 'c', rating: 5, comment }), 1000],
      ['agent:command', (text) => ({ text: `/${text}` }), 1999],
      ['inbox:search', (query) => ({ query }), 200],
    ];
    for (const [event, payload, most] of cases) {
      const schema = clientEventSchemas[event];
      assert.equal(schema.safeParse(payload(emoji(most))).success, true, `${event}: ${most} emoji`);
      const over = schema.safeParse(payload(emoji(most + 1)));
      assert.equal(over.success, false, `${event}: ${most + 1} emoji`);
      assert.match(describeIssues(over.error), /must be at most \d+ characters$/);
    }
    const identity = (name: string) => handshakeAuthSchema.safeParse({ siteKey: 's', identity: { userId: 'u', name, hash: 'h' } });
    assert.equal(identity(emoji(200)).success, true);
    assert.equal(describeIssues(identity(emoji(201)).error!), 'identity.name: must be at most 200 characters');
  });

  it('requires exactly one target for REST messages', () => {
    assert.equal(restMessageSchema.safeParse({ to: 'web:a_x', text: 'hi' }).success, true);
    assert.equal(restMessageSchema.safeParse({ conversationId: 'c', text: 'hi' }).success, true);
    assert.equal(restMessageSchema.safeParse({ text: 'hi' }).success, false);
    assert.equal(restMessageSchema.safeParse({ to: 'web:a_x', conversationId: 'c', text: 'hi' }).success, false);
  });

  it('keeps limits consistent with each other', () => {
    // The longest text, as UTF-8 with JSON escaping, must fit in one packet.
    assert.ok(LIMITS.maxTextLength * 4 + 1024 < LIMITS.maxPayloadBytes);
    assert.ok(LIMITS.defaultHistoryLimit <= LIMITS.maxHistoryLimit);
  });
});

describe('report:get', () => {
  const parse = (from: string, to: string) => clientEventSchemas['report:get'].safeParse({ from, to, by: 'team' });

  it('covers 366 days at most, both ends included, and says so when asked for more', () => {
    assert.equal(parse('2024-01-01', '2024-12-31').success, true, 'a leap year, 366 days');
    assert.equal(parse('2023-01-01', '2023-12-31').success, true);
    const longer = parse('2024-01-01', '2025-01-01');
    assert.equal(longer.success, false);
    assert.equal(describeIssues(longer.error), 'to: must be at most 365 days after from (a report covers 366 days at most, both ends included)');
    assert.equal(parse('2024-01-02', '2024-01-01').success, false, 'to before from');
  });
});
