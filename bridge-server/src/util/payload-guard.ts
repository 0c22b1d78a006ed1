/**
 * What no payload of the contract holds, at any depth, found in one pass: a key that names an
 * object's prototype machinery (no field is called so; such a key only ever comes from an attempt
 * at prototype pollution), and binary data (socket.io's binary attachments arrive as Buffers; every
 * payload is JSON, and one under a key the contract does not name would be dropped unread).
 * Iterative, so a deeply nested payload cannot exhaust the stack.
 */

/**
 * Why `value` is refused, as the contract's `bad_request` message (`payload: the key "__proto__" is
 * not allowed`, `extra: binary data is not accepted (every payload is JSON)`), or undefined.
 * `where` names the value (`payload`, `body`, `auth`); a socket payload's fields are named bare.
 */
export function unacceptedField(value: unknown, where: 'payload' | 'body' | 'auth'): string | undefined {
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (ArrayBuffer.isView(item) || item instanceof ArrayBuffer) {
      const field = where === 'payload' ? path || where : path ? `${where}.${path}` : where;
      return `${field}: binary data is not accepted (every payload is JSON)`;
    }
    for (const key of Object.keys(item)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return `${where}: the key "${key}" is not allowed`;
      pending.push([(item as Record<string, unknown>)[key], path ? `${path}.${key}` : key]);
    }
  }
  return undefined;
}
