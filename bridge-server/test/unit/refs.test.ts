import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConversationRefs, REF_LENGTH, RefBook } from '../../src/networks/refs.js';

describe('conversation refs', () => {
  it('gives the tail of the id, lengthened while another conversation has it, and keeps it', () => {
    const book = new RefBook();
    assert.equal(book.refOf('c_0aaaa0ABCDE'), 'abcde');
    assert.equal(book.refOf('c_0bbbb0abcde'), '0abcde', 'a second conversation with the same tail gets a longer ref');
    assert.equal(book.refOf('c_0aaaa0ABCDE'), 'abcde', 'a conversation keeps its ref');
    assert.equal(book.resolve('#0ABCDE'), 'c_0bbbb0abcde');
    assert.equal(book.resolve('abcde'), 'c_0aaaa0ABCDE');
    assert.equal(REF_LENGTH, 5);
  });

  it('reads the same in the core and on every network that shares the book (context lines, relayed prefixes)', () => {
    const book = new RefBook();
    book.refOf('c_1xxxx1fffff');
    const ircRelay = new ConversationRefs(book);
    const xmppRelay = new ConversationRefs(book);
    const ref = book.refOf('c_1yyyy1fffff'); // the core's context line names it first
    assert.equal(ircRelay.refOf('c_1yyyy1fffff'), ref);
    assert.equal(xmppRelay.refOf('c_1yyyy1fffff'), ref);
    // A context line that starts with the ref is not tagged a second time.
    assert.equal(ircRelay.tagged('c_1yyyy1fffff', `#${ref} Fox Mulder (not verified)`), `#${ref} Fox Mulder (not verified)`);
    assert.deepEqual(xmppRelay.route('xmpp:alice@x.test', `#${ref} hello`), { conversationId: 'c_1yyyy1fffff', text: 'hello' });
  });
});
