import './without-websocket.js';
import { expect } from '@open-wc/testing';
import { createClient } from '../../src/index.js';

const info = (await (await fetch('/__bridge')).json()) as { url: string; siteKey: string };

describe('SDK in a page without WebSocket', () => {
  it('connects over long-polling, rather than connecting for ever', async () => {
    expect(window.WebSocket).to.equal(undefined);
    const visitor = createClient({ url: info.url, siteKey: info.siteKey, storage: null });
    try {
      expect((await visitor.ready()).role).to.equal('visitor');
      const conversation = await visitor.openConversation({ team: 'support' });
      expect((await visitor.send(conversation.id, 'over long-polling')).seq).to.equal(1);
    } finally {
      visitor.disconnect();
    }
  });
});
