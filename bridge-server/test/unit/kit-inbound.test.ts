import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandOrHelp, isCommand, remoteIdOf } from '../../src/networks/kit/inbound.js';

describe('the command rule every network shares', () => {
  it('takes a leading slash as a command, and /me as an action', () => {
    for (const text of ['/list', '  /claim 3fa9c', '/to irc:dave hi', '/help']) assert.equal(isCommand(text), true, text);
    for (const text of ['/me waves', '/me', 'hello', 'a /list inside', '']) assert.equal(isCommand(text), false, text);
  });

  it("asks for help for anything to the bridge's address that is not a command", () => {
    assert.equal(commandOrHelp('/list'), '/list');
    assert.equal(commandOrHelp('hello?'), '/help');
    assert.equal(commandOrHelp('/me waves'), '/help');
  });

  it("scopes a message's own id by its sender, and gives none without one", () => {
    assert.equal(remoteIdOf('irc:dave@libera', 'abc'), 'irc:dave@libera/abc');
    assert.equal(remoteIdOf('xmpp:a@x.test', undefined), undefined);
    assert.equal(remoteIdOf('xmpp:a@x.test', ''), undefined);
  });
});
