import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { classifyMail } from '../../src/networks/email/mail-loops.js';
import { parseMail } from '../../src/networks/email/mail-reading.js';

async function classified(raw: Buffer) {
  const parsed = await parseMail(raw);
  assert.ok(parsed);
  return classifyMail(parsed);
}

function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url));
}

/** A plain mail with the given extra header lines. */
function mailWith(...headers: string[]): Buffer {
  return Buffer.from(
    [
      'From: Dana <dana@example.org>',
      'To: support@example.com',
      'Subject: Hello',
      'Message-ID: <x1@example.org>',
      ...headers,
      'Content-Type: text/plain',
      '',
      'Hi',
    ].join('\r\n'),
  );
}

/** A delivery status notification with the given per-recipient fields and returned part. */
function report(recipientFields: string[], returned: string[] | null, ...headers: string[]): Buffer {
  const parts = [
    '--b',
    'Content-Type: text/plain',
    '',
    'Delivery failed.',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    ...recipientFields,
    '',
    ...(returned ? ['--b', 'Content-Type: text/rfc822-headers', '', ...returned, ''] : []),
    '--b--',
  ];
  return Buffer.from(
    [
      'From: postmaster@example.net',
      'To: support@example.com',
      'Subject: Delivery Status Notification (Failure)',
      'Message-ID: <dsn-1@mx.example.net>',
      ...headers,
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      ...parts,
    ].join('\r\n'),
  );
}

describe('Loops and bounces', () => {
  it("takes a person's mail, even one from a big provider or with Auto-Submitted: no, for normal", async () => {
    for (const name of ['thunderbird-reply.eml', 'gmail-reply.eml', 'outlook-reply.eml', 'html-only.eml', 'attachment.eml'])
      assert.deepEqual(await classified(fixture(name)), { kind: 'normal' }, name);
    assert.deepEqual(await classified(mailWith('Auto-Submitted: no')), { kind: 'normal' });
    assert.deepEqual(await classified(mailWith('Precedence: first-class')), { kind: 'normal' });
    assert.deepEqual(await classified(mailWith('X-Autoreply: no')), { kind: 'normal' });
  });

  it("recognizes vacation replies from Gmail, Exchange and Sieve, and a legacy autoresponder's (RFC 3834)", async () => {
    assert.deepEqual(await classified(fixture('vacation-gmail.eml')), { kind: 'auto-reply', signal: 'Auto-Submitted: auto-replied' });
    assert.deepEqual(await classified(fixture('vacation-exchange.eml')), { kind: 'auto-reply', signal: 'Auto-Submitted: auto-generated' });
    assert.deepEqual(await classified(fixture('vacation-sieve.eml')), { kind: 'auto-reply', signal: 'Auto-Submitted: auto-replied (vacation)' });
    assert.deepEqual(await classified(fixture('autoresponder-legacy.eml')), { kind: 'auto-reply', signal: 'X-Autoreply: yes' });
    assert.deepEqual(await classified(mailWith('X-Autorespond: Thanks')), { kind: 'auto-reply', signal: 'X-Autorespond: Thanks' });
  });

  it('takes mailing lists, bulk mail and null-sender mail for automatic', async () => {
    assert.equal((await classified(fixture('mailing-list.eml'))).signal, 'List-Id: Example Net announcements <announce.lists.example.net>');
    assert.equal((await classified(mailWith('List-Unsubscribe: <mailto:leave@lists.example.net>'))).kind, 'auto-reply');
    for (const precedence of ['bulk', 'list', 'junk', 'Bulk'])
      assert.deepEqual(await classified(mailWith(`Precedence: ${precedence}`)), { kind: 'auto-reply', signal: `Precedence: ${precedence}` });
    assert.deepEqual(await classified(mailWith('X-Autoreply: yes')), { kind: 'auto-reply', signal: 'X-Autoreply: yes' });
    assert.deepEqual(await classified(mailWith('Return-Path: <>')), { kind: 'auto-reply', signal: 'Return-Path: <>' });
    assert.deepEqual(
      await classified(mailWith('Return-Path: <dana@example.org>', 'Return-Path: <>')),
      { kind: 'normal' },
      "the delivering server's Return-Path is the topmost",
    );
  });

  it("reads a Postfix bounce: the failed mail's Message-ID from the returned message, the recipient and the diagnostic", async () => {
    assert.deepEqual(await classified(fixture('postfix-dsn.eml')), {
      kind: 'bounce',
      signal: 'delivery status: failed',
      bounce: {
        originalMessageId: '<m.1f2e3d4c5b6a@bridge.example.com>',
        recipient: 'nobody@example.org',
        reason: '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
        code: 'not_found',
      },
    });
    assert.deepEqual((await classified(fixture('postfix-dsn-headers.eml'))).bounce, {
      originalMessageId: '<m.2a3b4c5d6e7f@bridge.example.com>',
      recipient: 'dana.smith@example.org',
      reason: '552 5.2.2 Mailbox full',
      code: 'bad_request',
    });
  });

  it('reads the bounce of a forwarding server, which names only the address the mail was forwarded to', async () => {
    assert.deepEqual((await classified(fixture('postfix-dsn-forwarded.eml'))).bounce, {
      originalMessageId: '<m.m-1.e2cvrdmxqrlecq24mny3avgip6@bridge.example.com>',
      recipient: 'dana.scully@elsewhere.example',
      reason: '550 5.1.1 <dana.scully@elsewhere.example>: Recipient address rejected: User unknown',
      code: 'not_found',
    });
  });

  it('takes a delay warning, or a report of success, for automatic mail, not a bounce', async () => {
    assert.deepEqual(await classified(fixture('postfix-delayed.eml')), { kind: 'auto-reply', signal: 'delivery status: delayed' });
    assert.deepEqual(await classified(report(['Final-Recipient: rfc822; dana@example.org', 'Action: delivered', 'Status: 2.0.0'], null)), {
      kind: 'auto-reply',
      signal: 'delivery status: delivered',
    });
    const receipt = Buffer.from(
      [
        'From: dana@example.org',
        'Subject: Read: Hello',
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Read.',
        '--b--',
      ].join('\r\n'),
    );
    assert.deepEqual(await classified(receipt), { kind: 'auto-reply', signal: 'multipart/report; report-type=disposition-notification' });
  });

  it("finds the failed mail by the report's own In-Reply-To or References when it returns no headers", async () => {
    const failed = ['Final-Recipient: rfc822;<Dana@Example.org>', 'Action: failed', 'Status: 5.0.0'];
    assert.deepEqual((await classified(report(failed, null, 'In-Reply-To: <m.1@bridge.example.com>'))).bounce, {
      originalMessageId: '<m.1@bridge.example.com>',
      recipient: 'dana@example.org',
      reason: 'delivery failed (status 5.0.0)',
      code: 'bad_request',
    });
    assert.equal(
      (await classified(report(failed, null, 'References: <m.0@bridge.example.com> <m.2@bridge.example.com>'))).bounce?.originalMessageId,
      '<m.2@bridge.example.com>',
    );
    assert.equal((await classified(report(failed, null))).bounce?.originalMessageId, null);
    assert.equal(
      (await classified(report(failed, ['From: x', 'Message-ID:', ' <folded@bridge.example.com>']))).bounce?.originalMessageId,
      '<folded@bridge.example.com>',
    );
  });

  it('picks the failed recipient among several, and keeps the reason on one bounded line', async () => {
    const fields = [
      'Final-Recipient: rfc822; ok@example.org',
      'Action: delivered',
      'Status: 2.0.0',
      '',
      'Final-Recipient: rfc822; gone@example.org',
      'Action: failed',
      'Status: 5.1.1',
      `Diagnostic-Code: smtp; 550 no such user\u0007 ${'x'.repeat(1000)}`,
    ];
    const bounce = (await classified(report(fields, null))).bounce;
    assert.equal(bounce?.recipient, 'gone@example.org');
    assert.match(bounce?.reason ?? '', /^5\.1\.1 550 no such user  x+$/);
    assert.equal(bounce?.reason.length, 500);
  });

  it("gives each failure the contract's code its status says (RFC 3463), not one code for every bounce", async () => {
    const codeOf = async (...fields: string[]) =>
      (await classified(report(['Final-Recipient: rfc822; dana@example.org', 'Action: failed', ...fields], null))).bounce?.code;
    assert.equal(await codeOf('Status: 5.1.1'), 'not_found', 'bad destination mailbox');
    assert.equal(await codeOf('Status: 5.1.2'), 'not_found', 'bad destination system');
    assert.equal(await codeOf('Status: 5.2.2', 'Diagnostic-Code: smtp; 552 5.2.2 Mailbox full'), 'bad_request', 'a full mailbox refuses, it is not unknown');
    assert.equal(await codeOf('Status: 5.3.4', 'Diagnostic-Code: smtp; 552 5.3.4 Message size exceeds fixed limit'), 'too_large');
    assert.equal(await codeOf('Status: 5.2.3'), 'too_large', 'larger than the mailbox takes');
    assert.equal(await codeOf('Status: 5.7.1', 'Diagnostic-Code: smtp; 554 5.7.1 Rejected by policy'), 'forbidden');
    assert.equal(
      await codeOf('Status: 4.4.7', 'Diagnostic-Code: X-Postfix; delivery temporarily suspended: connect to mx.example.org: Connection refused'),
      'unavailable',
      'given up after retrying: never refused',
    );
    assert.equal(await codeOf('Status: 4.4.1'), 'unavailable');
    // X.0.0 says nothing: the remote server's own reply does.
    assert.equal(await codeOf('Status: 5.0.0', 'Diagnostic-Code: smtp; 550 5.1.1 <dana@example.org>: User unknown'), 'not_found');
    assert.equal(await codeOf('Status: 5.0.0', 'Diagnostic-Code: smtp; 552 Requested mail action aborted: exceeded storage allocation'), 'too_large');
    assert.equal(await codeOf('Status: 5.0.0', 'Diagnostic-Code: smtp; 550 Requested action not taken: mailbox unavailable'), 'not_found');
    assert.equal(await codeOf('Status: 5.0.0'), 'bad_request');
    assert.equal(await codeOf('Diagnostic-Code: smtp; 554 5.7.1 Spam'), 'forbidden', 'no Status: the diagnostic');
    assert.equal(await codeOf(), 'bad_request', 'nothing to go by');
    // A number inside the text is no status.
    assert.equal(await codeOf('Status: 5.0.0', 'Diagnostic-Code: smtp; 554 message 1.2.3.4 refused'), 'bad_request');
  });
});
