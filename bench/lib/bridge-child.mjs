// A bridge in a process of its own, for benchmarks that measure the bridge's CPU apart from their
// clients' (bench/surge.mjs). The config (JSON) is the first argument; once listening it prints
// `READY <url>` on stdout. It stops on SIGTERM; a benchmark that simulates a crash kills it.
async function importBridge() {
  try {
    return await import('@switchboard/bridge-server');
  } catch {
    return import('../../bridge-server/dist/index.js');
  }
}

const { createBridge, parseConfig } = await importBridge();
const raw = JSON.parse(process.argv[2] ?? '{}');
const bridge = await createBridge(parseConfig(raw, 'bench', process.cwd()));
const url = await bridge.start();
process.stdout.write(`READY ${url}\n`);
process.on('SIGTERM', () => {
  bridge.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
