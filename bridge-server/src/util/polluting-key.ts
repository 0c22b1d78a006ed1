/**
 * The first key of a payload (at any depth) that names an object's prototype machinery. No field
 * of the contract is called so; such a key only ever comes from an attempt at prototype pollution.
 * Iterative, so a deeply nested payload cannot exhaust the stack.
 */
export function pollutingKey(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item !== 'object' || item === null || ArrayBuffer.isView(item)) continue;
    for (const key of Object.keys(item)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return key;
      pending.push((item as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}
