/** A test server process: started in the foreground (so its PID is the server's), stopped by PID. */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { waitForPort } from './ports.js';

/** Servers (and bridge processes) this test process started and that still run. */
const running = new Set<ChildProcess>();
let stopsOnTermination = false;

/**
 * Tracks `child` until it exits. A test file that outlives its time limit is ended by the test
 * runner with SIGTERM, before its `after` hooks could stop what it started: the servers still
 * running are killed then, so none is left behind.
 */
export function stopWithTestProcess(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (stopsOnTermination) return;
  stopsOnTermination = true;
  process.once('SIGTERM', () => {
    for (const server of running) server.kill('SIGKILL');
    process.exit(143);
  });
}

export interface ServerProcess {
  /** Starts the process and resolves once every port accepts connections. */
  start: () => Promise<void>;
  /** The stop signal (SIGTERM by default), then SIGKILL if it lingers; resolves once it exited. */
  stop: () => Promise<void>;
  /** Sends the running process a signal (SIGSTOP freezes it, SIGKILL is a crash). */
  signal: (signal: NodeJS.Signals) => void;
  /** The running process's PID (undefined before a start). */
  pid: () => number | undefined;
}

export function serverProcess(
  command: string,
  args: string[],
  ports: number[],
  stdio: StdioOptions = ['ignore', 'ignore', 'inherit'],
  /** The signal that asks for a quick, clean exit (SIGTERM unless the server reads it otherwise). */
  stopSignal: NodeJS.Signals = 'SIGTERM',
  /** How long the ports may take to open (a server that builds its database at first start takes longer on a busy machine). */
  readyTimeoutMs = 10_000,
): ServerProcess {
  let child: ChildProcess | undefined;
  return {
    async start() {
      const started = spawn(command, args, { stdio });
      child = started;
      stopWithTestProcess(started);
      await Promise.race([
        Promise.all(ports.map((port) => waitForPort(port, readyTimeoutMs))),
        new Promise((_, reject) => started.once('exit', (code) => reject(new Error(`${command} exited with ${code}`)))),
      ]);
    },
    signal(signal) {
      child?.kill(signal);
    },
    pid: () => child?.pid,
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill(stopSignal);
      const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A server run from a temp folder of its own: stopped and started again as the process is; `destroy` also removes the folder. */
export interface FolderServer {
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/** Starts `daemon`, whose files are in `dir`; resolves once it listens. */
export async function startInFolder(dir: string, daemon: ServerProcess): Promise<FolderServer> {
  const server: FolderServer = {
    start: daemon.start,
    stop: daemon.stop,
    async destroy() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}
