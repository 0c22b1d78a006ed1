// node:test reporter that writes one JSON line: {"passed","failed","skipped"} (leaf tests only) and
// "files", each file's time in ms (its top-level tests and suites, which run one after another).
export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const files = {};
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.nesting === 0 && data.file) files[data.file] = (files[data.file] ?? 0) + (data.details?.duration_ms ?? 0);
    if (data.details?.type === 'suite') continue;
    if (data.skip || data.todo) counts.skipped++;
    else if (event.type === 'test:pass') counts.passed++;
    else counts.failed++;
  }
  yield `${JSON.stringify({ ...counts, files })}\n`;
}
