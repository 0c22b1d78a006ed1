/**
 * A TCP relay between the bridge and a real server that records every line the server receives,
 * per client connection: the tests read exactly what reached the server's socket, split on CR LF,
 * lone LF and lone CR alike (so an injected line break would show as a line of its own).
 */
import { type Server, type Socket, createServer, connect } from 'node:net';

export interface Tap {
  port: number;
  /** Lines received by the server, one array per connection, in order (CR LF removed). */
  connections: string[][];
  close(): Promise<void>;
}

/** `listenPort`: a port chosen before (a bridge configured with it could not reach the server until now); any free one by default. */
export function startTap(targetPort: number, listenPort = 0): Promise<Tap> {
  const connections: string[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const lines: string[] = [];
    connections.push(lines);
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let buffer = '';
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => {
      upstream.write(chunk);
      // Split the way the most lenient server would: on CR LF, a lone LF or a lone CR.
      buffer += chunk;
      const parts = buffer.split(/\r\n|\n|\r(?!$)/);
      buffer = parts.pop()!;
      lines.push(...parts);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise((resolve) => {
    server.listen(listenPort, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        connections,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
