import pino, { type Logger } from 'pino';

export type { Logger };

/** The bridge's root logger: JSON lines on stdout; one child per network (`{ network }`). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'switchboard-bridge' } });
}
