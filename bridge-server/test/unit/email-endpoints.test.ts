// The email network's mail server endpoints: what a configuration entry resolves to (ports, TLS,
// secrets from the environment), and how an SMTP failure reads for the outbox.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config-error.js';
import { imapEndpointSchema, resolveImapEndpoint, resolveSmtpEndpoint, smtpEndpointSchema } from '../../src/networks/email/endpoints-config.js';
import { smtpFailure } from '../../src/networks/email/smtp-sender.js';

describe('email endpoints configuration', () => {
  it('defaults to implicit TLS with checked certificates and the protocols’ ports', () => {
    const imap = resolveImapEndpoint(imapEndpointSchema.parse({ host: 'mail.example.com', user: 'support@example.com', password: 'pw' }), {});
    assert.deepEqual(imap, {
      secure: true,
      starttls: 'required',
      tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2' },
      host: 'mail.example.com',
      port: 993,
      user: 'support@example.com',
      password: 'pw',
      folder: 'INBOX',
      connectTimeoutMs: 15_000,
    });
    const smtp = resolveSmtpEndpoint(smtpEndpointSchema.parse({ host: 'mail.example.com' }), {});
    assert.equal(smtp.port, 465);
    assert.equal(smtp.auth, undefined);
    assert.equal(resolveImapEndpoint(imapEndpointSchema.parse({ host: 'h', secure: false, user: 'u', password: 'p' }), {}).port, 143);
    assert.equal(resolveSmtpEndpoint(smtpEndpointSchema.parse({ host: 'h', secure: false }), {}).port, 587);
  });

  it('reads passwords from the environment and the CA from its file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-email-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), 'PEM');
      const entry = imapEndpointSchema.parse({ host: 'h', user: 'u', passwordEnv: 'IMAP_PASSWORD', moveTo: 'Handled', tls: { caFile: join(dir, 'ca.pem') } });
      const imap = resolveImapEndpoint(entry, { IMAP_PASSWORD: 'from-env' });
      assert.equal(imap.password, 'from-env');
      assert.equal(imap.moveTo, 'Handled');
      assert.equal(String(imap.tls.ca), 'PEM');
      assert.throws(
        () => resolveImapEndpoint(entry, {}, 'networks[1].imap'),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /networks\[1\]\.imap\.passwordEnv: the environment variable IMAP_PASSWORD is not set/);
          return true;
        },
      );
      const smtp = resolveSmtpEndpoint(smtpEndpointSchema.parse({ host: 'h', user: 'bridge', passwordEnv: 'SMTP_PASSWORD' }), { SMTP_PASSWORD: 's' });
      assert.deepEqual(smtp.auth, { user: 'bridge', password: 's' });
      assert.throws(
        () => resolveSmtpEndpoint(smtpEndpointSchema.parse({ host: 'h', tls: { caFile: join(dir, 'missing.pem') } }), {}),
        /tls\.caFile: cannot read/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses entries without a mailbox password, with two, or with an SMTP user but no password', () => {
    assert.equal(imapEndpointSchema.safeParse({ host: 'h', user: 'u' }).success, false);
    assert.equal(imapEndpointSchema.safeParse({ host: 'h', user: 'u', password: 'p', passwordEnv: 'P' }).success, false);
    assert.equal(imapEndpointSchema.safeParse({ host: 'h', user: 'u', passwordEnv: 'not a name' }).success, false);
    assert.equal(smtpEndpointSchema.safeParse({ host: 'h', user: 'u' }).success, false);
    assert.equal(smtpEndpointSchema.safeParse({ host: 'h', password: 'p' }).success, false);
    assert.equal(smtpEndpointSchema.safeParse({ host: 'h', sslv3: true }).success, false);
  });
});

describe('SMTP failures for the outbox', () => {
  const smtpError = (fields: { message?: string; response?: string; [field: string]: unknown }) =>
    Object.assign(new Error(fields.response ?? 'failed'), fields);

  it('keeps the message when the server cannot be reached or defers it', () => {
    for (const error of [
      smtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:25' }),
      smtpError({ code: 'ETIMEDOUT' }),
      smtpError({ code: 'ETLS' }),
      smtpError({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication failed' }),
      smtpError({ code: 'EENVELOPE', responseCode: 450, response: '450 4.2.0 mailbox busy', permanent: false }),
      smtpError({ code: 'EMESSAGE', responseCode: 503, response: '503 5.5.1 Error: need MAIL command' }),
      new Error('anything else'),
    ]) {
      const failure = smtpFailure(error);
      assert.equal(failure.retryable, true, error.message);
      assert.equal(failure.code, 'unavailable');
    }
  });

  it('fails the message for good on a permanent refusal, with the contract’s code', () => {
    const cases: [Parameters<typeof smtpError>[0], string][] = [
      [{ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 <x@example.com>: Recipient address rejected', permanent: true }, 'not_found'],
      [{ code: 'EENVELOPE', responseCode: 550, response: '550 mailbox unavailable' }, 'not_found'],
      [{ code: 'EMESSAGE', responseCode: 552, response: '552 5.3.4 Message size exceeds fixed limit' }, 'too_large'],
      [{ code: 'EENVELOPE', responseCode: 554, response: '554 5.7.1 Relay access denied' }, 'forbidden'],
      [{ code: 'EMESSAGE', responseCode: 554, response: '554 5.6.0 bad content' }, 'bad_request'],
      [{ code: 'EENVELOPE', message: 'No recipients defined' }, 'bad_request'],
    ];
    for (const [fields, code] of cases) {
      const failure = smtpFailure(smtpError(fields));
      assert.equal(failure.retryable, false, fields.response);
      assert.equal(failure.code, code, fields.response);
    }
  });
});
