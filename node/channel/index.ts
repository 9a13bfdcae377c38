// node/channel: the channel as a pure state machine (BOLT 2), keyless: every signature and secret
// comes from the signer through `signer` effects answered by `signer-reply` / `signer-error` events.
export { process, type Step } from './process.js';
export * from './events.js';
export * from './effects.js';
export * from './states.js';
export * from './params.js';
export * from './commitment-spec.js';
export * from './commitments.js';
export * from './signer-requests.js';
export * from './channel-type.js';
export { ChannelProtocolError, CommandRefused } from './errors.js';
export * from './restore.js';
export * from './recovered-reader.js';
