import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailSettingsSchema, plusAddressSecretOf, teamMailboxOf } from '../../src/networks/email/mail-config.js';

const SECRET = 's3cret-s3cret-s3cret-s3cret-s3cret';

function issuesOf(input: unknown): string[] {
  const result = mailSettingsSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('Email settings', () => {
  it('takes the Message-ID domain and the teams, with defaults for the rest', () => {
    const settings = mailSettingsSchema.parse({
      messageIdDomain: 'bridge.example.com',
      teams: { 'support@example.com': 'support', 'Sales@Example.org': 'sales' },
    });
    assert.equal(settings.subaddressSeparator, '+');
    assert.equal(settings.html, true);
    assert.equal(settings.subject, 'Your conversation with us');
  });

  it('finds the team mailbox an address reaches, a subaddress of it included, without regard to case', () => {
    const settings = mailSettingsSchema.parse({
      messageIdDomain: 'bridge.example.com',
      teams: { 'support@example.com': 'support', 'Sales@Example.org': 'sales' },
    });
    assert.deepEqual(teamMailboxOf(settings, 'sales@example.org'), { address: 'Sales@Example.org', team: 'sales' });
    assert.deepEqual(teamMailboxOf(settings, 'SUPPORT@example.com'), { address: 'support@example.com', team: 'support' });
    assert.deepEqual(teamMailboxOf(settings, 'support+c_0mj1-k3j5h7g9f1d3s5a7@example.com'), { address: 'support@example.com', team: 'support' });
    assert.equal(teamMailboxOf(settings, 'support+x@example.org'), null, 'another domain');
    assert.equal(teamMailboxOf(settings, 'other@example.com'), null);
    assert.equal(teamMailboxOf(settings, 'support-x@example.com'), null, 'not the separator');
    assert.equal(teamMailboxOf(settings, 'no-at'), null);
    const dashed = mailSettingsSchema.parse({
      messageIdDomain: 'bridge.example.com',
      teams: { 'customer-care@example.com': 'care' },
      subaddressSeparator: '-',
    });
    assert.deepEqual(teamMailboxOf(dashed, 'customer-care-c_0mj1-k3j5@example.com'), { address: 'customer-care@example.com', team: 'care' });
  });

  it('refuses team addresses that are not plain mailboxes, or the same one twice', () => {
    assert.deepEqual(issuesOf({ messageIdDomain: 'bridge.example.com', teams: {} }), ['teams: must name at least one address']);
    assert.match(issuesOf({ messageIdDomain: 'bridge.example.com', teams: { 'support+x@example.com': 'support' } }).join(), /without "\+"/);
    assert.match(issuesOf({ messageIdDomain: 'bridge.example.com', teams: { 'Support <support@example.com>': 'support' } }).join(), /teams/);
    assert.deepEqual(issuesOf({ messageIdDomain: 'bridge.example.com', teams: { 'support@example.com': 'a', 'SUPPORT@example.com': 'b' } }), [
      'teams.SUPPORT@example.com: is the same address as "support@example.com"',
    ]);
    assert.match(issuesOf({ messageIdDomain: 'not a domain', teams: { 'support@example.com': 'support' } }).join(), /messageIdDomain/);
    assert.match(issuesOf({ messageIdDomain: 'bridge.example.com', teams: { 'support@example.com': 'support' }, subject: 'a\r\nBcc: x@y' }).join(), /one line/);
    assert.match(
      issuesOf({ messageIdDomain: 'bridge.example.com', teams: { 'support@example.com': 'support' }, plusAddressSecret: 'short' }).join(),
      /plusAddressSecret/,
    );
    assert.match(issuesOf({ messageIdDomain: 'bridge.example.com', teams: { 'support@example.com': 'support' }, imap: {} }).join(), /imap/);
  });

  it('takes the plus-address secret from the configuration, else the environment, and refuses to run without one', () => {
    assert.equal(plusAddressSecretOf({ plusAddressSecret: SECRET }, {}), SECRET);
    assert.equal(plusAddressSecretOf({}, { SWITCHBOARD_EMAIL_SECRET: SECRET }), SECRET);
    assert.throws(() => plusAddressSecretOf({}, {}), /SWITCHBOARD_EMAIL_SECRET/);
    assert.throws(() => plusAddressSecretOf({}, { SWITCHBOARD_EMAIL_SECRET: 'short' }), /at least 32/);
  });
});
