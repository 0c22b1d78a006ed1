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

/**
 * The dotted path of the first binary value of a payload (socket.io's binary attachments arrive
 * as Buffers), at any depth: no field of the contract holds one (every payload is JSON), and one
 * under a key the contract does not name would be dropped unread, as no sender could expect.
 */
export function binaryField(value: unknown): string | undefined {
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (ArrayBuffer.isView(item) || item instanceof ArrayBuffer) return path || 'payload';
    for (const key of Object.keys(item)) pending.push([(item as Record<string, unknown>)[key], path ? `${path}.${key}` : key]);
  }
  return undefined;
}
