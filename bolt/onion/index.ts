// BOLT 4 onion routing: Sphinx packets, hop payloads and returned failures.
export * from './keys.js';
export * from './packet.js';
export * from './payload.js';
export * from './failure-codes.js';
export * from './failure.js';
export * from './errors.js';
