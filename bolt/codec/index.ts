// The wire codec toolkit in one import: BOLT 1 fundamental types, TLV streams and message declarations.
export * from './errors.js';
export { Reader, Writer } from './io.js';
export * from './primitives.js';
export * from './compound.js';
export * from './tlv.js';
export * from './message.js';
export * from './encoded-array.js';
export * from './short-channel-id.js';
