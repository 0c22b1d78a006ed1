export * from './address.js';
export * from './errors.js';
export * from './events.js';
export * from './limits.js';
export * from './objects.js';
export type * from './schemas.js';
export * from './readable-size.js';
