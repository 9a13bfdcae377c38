// BOLT 3: keys, scripts and transactions, and (from per-commitment.ts) per-commitment secrets and shachain.
export * from './keys.js';
export * from './scripts.js';
export * from './tx.js';
export * from './commitment.js';
export * from './htlc-tx.js';
export * from './closing.js';
export * from './per-commitment.js';
