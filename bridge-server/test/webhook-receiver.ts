/** A real webhook receiver on 127.0.0.1 that holds every request (a slow receiver) until released. */
import { type IncomingHttpHeaders, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Conversation, Message } from '@switchboard/protocol';

/**
 * The data of a conversation event, as a test reads it: each event carries some of these fields
 * (`conversation.message` its message, `conversation.assigned` the assignee...).
 */
export interface WebhookData {
  conversation: Conversation;
  message: Message;
  assignee: string | null;
  /** `conversation.unassigned`: who had it. */
  previousAssignee: string;
}

/** The body of a webhook request (src/core/webhooks.ts `WebhookDelivery`). */
export interface DeliveryBody {
  id: string;
  event: string;
  siteKey: string;
  createdAt: string;
  data: WebhookData;
}

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  body: string;
  id: string;
  event: string;
  data: WebhookData;
}

export async function holdingReceiver() {
  const received: ReceivedDelivery[] = [];
  /** Deliveries answered 204 (after `release()`). */
  const taken: ReceivedDelivery[] = [];
  const held: ServerResponse[] = [];
  let releasing = false;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as DeliveryBody;
      const delivery = { headers: req.headers, body, id: parsed.id, event: parsed.event, data: parsed.data };
      received.push(delivery);
      if (!releasing) return void held.push(res);
      taken.push(delivery);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    taken,
    held,
    /** Answers what comes from now on; the requests held so far get a 503 (their sender retries). */
    release() {
      releasing = true;
      for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(503).end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
