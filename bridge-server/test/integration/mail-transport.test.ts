/**
 * The email network's transport against a real Postfix and Dovecot (test/servers/mail.ts): the
 * SMTP sender's mail reaches the mailbox, and the IMAP inbox hands each message over exactly once
 * (already waiting at start, new while it idles, again after a failed hand-over, delivered while
 * Dovecot was down), marking it only once the hand-over resolved; the sender's failures read as the
 * outbox needs them. Each case reads its own mailbox; "exactly once" is checked after a later mail
 * has come through.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import {
  type ImapEndpoint,
  type SmtpEndpoint,
  imapEndpointSchema,
  resolveImapEndpoint,
  resolveSmtpEndpoint,
  smtpEndpointSchema,
} from '../../src/networks/email/endpoints-config.js';
import { ImapInbox, type InboxMail, type MailboxState } from '../../src/networks/email/imap-inbox.js';
import { createSmtpSender } from '../../src/networks/email/smtp-sender.js';
import { NetworkError, type NetworkStatus } from '../../src/networks/network.js';
import { freePort } from '../servers/ports.js';
import { type MailServer, startMail } from '../servers/mail.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const QUICK_BACKOFF = { initialMs: 50, maxMs: 300, jitter: 0 };
const PASSWORD = 'mailpw';
const MAILBOXES = ['support', 'waiting', 'failing', 'moving', 'readonly', 'outage', 'dana'].map((user) => `${user}@example.test`);

const subjectOf = (source: Buffer) => /^Subject: (.*)$/m.exec(source.toString())?.[1];

function mailText(subject: string, to = 'support@example.test'): string {
  const id = `<${subject.replace(/\W/g, '')}.${Date.now()}@customer.test>`;
  return `From: Dana <dana@example.test>\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: ${id}\r\nDate: ${new Date().toUTCString()}\r\n\r\n${subject} body\r\n`;
}

/** An inbox on one mailbox, recording what it hands over and the statuses it reports. */
class InboxProbe {
  readonly delivered: InboxMail[] = [];
  readonly statuses: NetworkStatus[] = [];
  readonly inbox: ImapInbox;
  private waiters: (() => void)[] = [];

  constructor(
    endpoint: ImapEndpoint,
    state: MailboxState | undefined,
    private readonly accept: (mail: InboxMail) => Promise<void> = () => Promise.resolve(),
    backoff = QUICK_BACKOFF,
  ) {
    this.inbox = new ImapInbox({
      endpoint,
      ...(state ? { state } : {}),
      deliver: async (mail) => {
        try {
          await this.accept(mail);
          this.delivered.push(mail);
        } finally {
          this.wake();
        }
      },
      report: (status) => {
        this.statuses.push(status);
        this.wake();
      },
      logger,
      backoff,
    });
  }

  subjects(): (string | undefined)[] {
    return this.delivered.map((mail) => subjectOf(mail.source));
  }

  /** Resolves once `holds` is true, checked at each hand-over (or failed one) and status change. */
  async until(holds: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!holds()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; handed over: ${JSON.stringify(this.subjects())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  untilSubject(subject: string): Promise<void> {
    return this.until(() => this.subjects().includes(subject), `"${subject}"`);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

describe('email transport against Postfix and Dovecot', () => {
  let mail: MailServer;
  let smtp: SmtpEndpoint;
  const probes: InboxProbe[] = [];

  // Every connection is made as a deployment makes it: from a configuration entry, with TLS
  // required (STARTTLS) and the test server's self-signed certificate as the trusted CA.
  const imap = (user: string, entry: Record<string, unknown> = {}): ImapEndpoint =>
    resolveImapEndpoint(
      imapEndpointSchema.parse({
        host: mail.host,
        port: mail.imapPort,
        secure: false,
        tls: { caFile: mail.certPath },
        user,
        passwordEnv: 'MAIL_TRANSPORT_TEST_PASSWORD',
        connectTimeoutSeconds: 5,
        ...entry,
      }),
      { MAIL_TRANSPORT_TEST_PASSWORD: PASSWORD },
    );
  const smtpEndpoint = (entry: Record<string, unknown> = {}): SmtpEndpoint =>
    resolveSmtpEndpoint(
      smtpEndpointSchema.parse({ host: mail.host, port: mail.smtpPort, secure: false, tls: { caFile: mail.certPath }, connectTimeoutSeconds: 5, ...entry }),
    );
  const probe = (...args: ConstructorParameters<typeof InboxProbe>) => {
    const made = new InboxProbe(...args);
    probes.push(made);
    return made;
  };
  const send = (to: string, subject: string) => createSmtpSender(smtp).send({ from: 'dana@example.test', to: [to], raw: mailText(subject, to) });
  /** The NetworkError a send through `endpoint` fails with. */
  const failureOf = async (endpoint: SmtpEndpoint, to: string, subject: string): Promise<NetworkError> => {
    const error = await createSmtpSender(endpoint)
      .send({ from: 'support@example.test', to: [to], raw: mailText(subject, to) })
      .then(
        () => assert.fail(`"${subject}" was sent`),
        (failure: unknown) => failure,
      );
    assert.ok(error instanceof NetworkError, String(error));
    return error;
  };
  const uidValidityOf = async (user: string): Promise<string> => {
    const tls = { ca: readFileSync(mail.certPath!) };
    const client = new ImapFlow({ host: mail.host, port: mail.imapPort, secure: false, tls, auth: { user, pass: PASSWORD }, logger: false });
    await client.connect();
    try {
      const status = await client.status('INBOX', { uidValidity: true });
      assert.ok(status && status.uidValidity !== undefined);
      return status.uidValidity.toString();
    } finally {
      await client.logout();
    }
  };

  before(async () => {
    mail = await startMail({ tls: true, users: Object.fromEntries(MAILBOXES.map((address) => [address, PASSWORD])) });
    smtp = smtpEndpoint();
  });
  after(async () => {
    await Promise.all(probes.map((made) => made.inbox.stop()));
    await mail?.destroy();
  });

  it('hands over a mail sent through the SMTP sender once, then flags it seen', async () => {
    const reader = probe(imap('support@example.test'), undefined);
    await reader.inbox.start();
    assert.equal(reader.inbox.status.state, 'online');
    const sent = await send('support@example.test', 'first question');
    assert.deepEqual(sent.accepted, ['support@example.test']);
    assert.match(sent.response, /^250 /);
    await reader.untilSubject('first question');
    const [first] = reader.delivered;
    assert.ok(/^Received: /m.test(first!.source.toString()), 'the source is the message as delivered');
    assert.deepEqual(first!.state, { uidValidity: await uidValidityOf('support@example.test'), lastUid: first!.uid, handedUid: first!.uid });
    await mail.waitForMessages('support@example.test', (messages) => messages.length === 1 && messages[0]!.flags.has('\\Seen'));

    await send('support@example.test', 'second question');
    await reader.untilSubject('second question');
    assert.deepEqual(reader.subjects(), ['first question', 'second question']);
    assert.deepEqual(reader.inbox.state, reader.delivered[1]!.state);
  });

  it('takes what waits in the folder once: the unseen mail on a first start, everything after the kept state, all again after a UIDVALIDITY change', async () => {
    const address = 'waiting@example.test';
    await mail.append(address, mailText('read before', address), { flags: ['\\Seen'] });
    await mail.append(address, mailText('waiting 1', address));
    await mail.append(address, mailText('waiting 2', address));

    const firstStart = probe(imap(address), undefined);
    await firstStart.inbox.start();
    await firstStart.untilSubject('waiting 2');
    assert.deepEqual(firstStart.subjects(), ['waiting 1', 'waiting 2']);
    const [one, two] = firstStart.delivered;
    assert.deepEqual([one!.state.lastUid, two!.state.lastUid], [2, 3]);
    await firstStart.inbox.stop();

    // A restart from the state kept with "waiting 1": "waiting 2" comes again (it is seen now), then new mail.
    const restarted = probe(imap(address), one!.state);
    await restarted.inbox.start();
    await mail.append(address, mailText('new after restart', address));
    await restarted.untilSubject('new after restart');
    assert.deepEqual(restarted.subjects(), ['waiting 2', 'new after restart']);
    await restarted.inbox.stop();

    // A state from another UIDVALIDITY (the folder was recreated): every message, from the first.
    const recreated = probe(imap(address), { uidValidity: String(Number(one!.state.uidValidity) + 1), lastUid: 3 });
    await recreated.inbox.start();
    await recreated.untilSubject('new after restart');
    assert.deepEqual(recreated.subjects(), ['read before', 'waiting 1', 'waiting 2', 'new after restart']);
    assert.equal(recreated.inbox.state?.uidValidity, one!.state.uidValidity);
    await recreated.inbox.stop();
  });

  it('leaves a message unseen when the hand-over fails, and hands it over again on the next run', async () => {
    const address = 'failing@example.test';
    const uidValidity = await uidValidityOf(address);
    let attempts = 0;
    const failing = probe(
      imap(address),
      { uidValidity, lastUid: 0 },
      () => {
        attempts += 1;
        return Promise.reject(new Error('the store is down'));
      },
      { initialMs: 60_000, maxMs: 60_000, jitter: 0 },
    );
    await failing.inbox.start();
    await send(address, 'not stored yet');
    await failing.until(() => attempts === 1, 'the failed hand-over');
    assert.deepEqual(failing.delivered, []);
    assert.deepEqual(failing.inbox.state, { uidValidity, lastUid: 0 });
    const [left] = await mail.messages(address);
    assert.equal(left!.flags.has('\\Seen'), false);
    await failing.inbox.stop();

    const next = probe(imap(address), failing.inbox.state);
    await next.inbox.start();
    await next.untilSubject('not stored yet');
    await mail.waitForMessages(address, (messages) => messages.length === 1 && messages[0]!.flags.has('\\Seen'));
  });

  it('retries a failed hand-over with backoff while it runs', async () => {
    const address = 'failing@example.test';
    let failures = 0;
    const flaky = probe(imap(address), undefined, () => (failures++ < 2 ? Promise.reject(new Error('busy')) : Promise.resolve()));
    await flaky.inbox.start();
    await send(address, 'stored on the third try');
    await flaky.untilSubject('stored on the third try');
    assert.equal(failures, 3);
  });

  it('moves each stored message to the folder named for it, which it creates', async () => {
    const address = 'moving@example.test';
    const mover = probe(imap(address, { moveTo: 'Handled' }), undefined);
    await mover.inbox.start();
    await send(address, 'to be moved');
    await mover.untilSubject('to be moved');
    const [moved] = await mail.waitForMessages(address, 1, { folder: 'Handled' });
    assert.equal(subjectOf(moved!.source), 'to be moved');
    assert.deepEqual(await mail.messages(address), []);
    await send(address, 'moved too');
    await mover.untilSubject('moved too');
    assert.deepEqual(mover.subjects(), ['to be moved', 'moved too']);
  });

  it('moves, after a restart, only what it stored: not the read mail a first start skipped', async () => {
    const address = 'readonly@example.test';
    await mail.append(address, mailText('read by a person 1', address), { flags: ['\\Seen'] });
    await mail.append(address, mailText('read by a person 2', address), { flags: ['\\Seen'] });
    const first = probe(imap(address, { moveTo: 'Handled' }), undefined);
    await first.inbox.start();
    await first.until(() => first.inbox.state?.lastUid === 2, 'the read mail counted as handled');
    assert.deepEqual(first.delivered, []);
    await first.inbox.stop();

    const restarted = probe(imap(address, { moveTo: 'Handled' }), first.inbox.state);
    await restarted.inbox.start();
    await send(address, 'new after the restart');
    await restarted.untilSubject('new after the restart');
    await mail.waitForMessages(address, 1, { folder: 'Handled' });
    assert.deepEqual(
      (await mail.messages(address)).map((m) => subjectOf(m.source)),
      ['read by a person 1', 'read by a person 2'],
    );
  });

  it('fetches the mail delivered while Dovecot was down once it reconnects, exactly once', async () => {
    const address = 'outage@example.test';
    const reader = probe(imap(address), { uidValidity: await uidValidityOf(address), lastUid: 0 });
    await reader.inbox.start();
    await send(address, 'before the outage');
    await reader.untilSubject('before the outage');

    await mail.stopDovecot();
    await reader.until(() => reader.inbox.status.state !== 'online', 'the inbox to notice the outage');
    await send(address, 'during the outage');
    // Postfix keeps it: the delivery to Dovecot's LMTP was refused.
    for (;;) {
      const queued = await mail.queue();
      if (queued.some((entry) => entry.recipients.some((recipient) => recipient.address === address && recipient.delayReason))) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await mail.startDovecot();
    await mail.flushQueue();
    await reader.untilSubject('during the outage');
    assert.equal(reader.inbox.status.state, 'online');

    await send(address, 'after the outage');
    await reader.untilSubject('after the outage');
    assert.deepEqual(reader.subjects(), ['before the outage', 'during the outage', 'after the outage']);
    assert.ok(
      reader.statuses.some((status) => status.state === 'offline'),
      'the outage was reported',
    );
  });

  it('connects over implicit TLS, and not to a server whose certificate it does not trust', async () => {
    const implicit = probe(imap('dana@example.test', { secure: true, port: mail.imapsPort! }), undefined);
    await implicit.inbox.start();
    assert.equal(implicit.inbox.status.state, 'online');
    await createSmtpSender(smtpEndpoint({ secure: true, port: mail.smtpsPort! })).send({
      from: 'support@example.test',
      to: ['dana@example.test'],
      raw: mailText('over implicit TLS', 'dana@example.test'),
    });
    await implicit.untilSubject('over implicit TLS');

    const untrusting = probe(imap('dana@example.test', { tls: {} }), undefined);
    await untrusting.inbox.start(); // the first failure is retried in the background
    assert.equal(untrusting.inbox.status.state, 'offline');
    assert.match(untrusting.inbox.status.reason ?? '', /certificate/);
    await untrusting.inbox.stop();
    const untrusted = await failureOf(smtpEndpoint({ tls: {} }), 'dana@example.test', 'untrusted');
    assert.equal(untrusted.retryable, true);
    assert.match(untrusted.message, /certificate/);
  });

  it('sends with the null sender, refuses for good what the server refuses for good', async () => {
    const bounceLike = await createSmtpSender(smtp).send({ from: null, to: ['dana@example.test'], raw: mailText('null sender', 'dana@example.test') });
    assert.deepEqual(bounceLike.accepted, ['dana@example.test']);
    const messages = await mail.waitForMessages('dana@example.test', (all) => all.some((message) => subjectOf(message.source) === 'null sender'));
    const delivered = messages.find((message) => subjectOf(message.source) === 'null sender');
    assert.match(delivered!.source.toString(), /^Return-Path: <>/m);

    const refused = await failureOf(smtp, 'someone@elsewhere.example', 'outside');
    assert.equal(refused.retryable, false);
    assert.equal(refused.code, 'not_found');
  });

  it('fails with a retryable error while the SMTP server is down', async () => {
    const closed = await freePort();
    const unreachable = await failureOf({ ...smtp, port: closed }, 'dana@example.test', 'nowhere');
    assert.equal(unreachable.retryable, true);

    await mail.stopPostfix();
    const down = await failureOf(smtp, 'dana@example.test', 'postfix stopped');
    assert.equal(down.retryable, true);
    assert.equal(down.code, 'unavailable');
  });
});
