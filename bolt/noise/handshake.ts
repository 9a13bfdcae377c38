// BOLT 8 §Authenticated Key Exchange Handshake Specification: Noise_XK_secp256k1_ChaChaPoly_SHA256.
//
//     -> e, es        act one   (initiator -> responder, 50 bytes)
//     <- e, ee        act two   (responder -> initiator, 50 bytes)
//     -> s, se        act three (initiator -> responder, 66 bytes)
//
// Each act is one function from an explicit, immutable state to the next state (and the bytes to
// send). The node's static key stays in the signer: it is reached only through `NodeKey.ecdh`,
// so the two steps that need it (initiator act three, responder act one) are async.
// Ephemeral keys are per connection; the caller generates them and passes them in.
import { concat } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { secp } from '../crypto/secp256k1.js';
import type { TransportKeys } from './cipher.js';
import { decryptWithAd, encryptWithAd, hkdf, MAC_LENGTH } from './primitives.js';

/** The node's static key as the handshake sees it: a public key and an ECDH oracle. */
export interface NodeKey {
  /** 33-byte compressed public key (the node id). */
  readonly publicKey: Uint8Array;
  /** SHA256 of the compressed point `point · privateKey` (same as `secp.ecdh`). */
  ecdh(point: Uint8Array): Promise<Uint8Array>;
}

export const ACT_ONE_LENGTH = 50;
export const ACT_TWO_LENGTH = 50;
export const ACT_THREE_LENGTH = 66;
/** BOLT 8 §Handshake Versioning: the only version we know. */
export const HANDSHAKE_VERSION = 0;

/** The failure names of BOLT 8 Appendix A. */
export type HandshakeFailure =
  | 'ACT1_READ_FAILED' | 'ACT1_BAD_VERSION' | 'ACT1_BAD_PUBKEY' | 'ACT1_BAD_TAG'
  | 'ACT2_READ_FAILED' | 'ACT2_BAD_VERSION' | 'ACT2_BAD_PUBKEY' | 'ACT2_BAD_TAG'
  | 'ACT3_READ_FAILED' | 'ACT3_BAD_VERSION' | 'ACT3_BAD_CIPHERTEXT' | 'ACT3_BAD_PUBKEY' | 'ACT3_BAD_TAG';

/** A handshake message from the peer was refused; the connection must be closed without reply. */
export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  constructor(readonly code: HandshakeFailure, message: string) {
    super(message);
  }
}

/** The outcome of a completed handshake, on either side. */
export interface HandshakeResult extends TransportKeys {
  /** The peer's static public key (the responder learns it in act three). */
  readonly remoteStatic: Uint8Array;
  /** Final handshake digest `h`. */
  readonly handshakeHash: Uint8Array;
}

/** Initiator after sending act one, waiting for act two. */
export interface InitiatorActOneSent {
  readonly kind: 'initiator-act-one-sent';
  readonly ck: Uint8Array;
  readonly h: Uint8Array;
  readonly remoteStatic: Uint8Array;
  readonly ephemeralPrivateKey: Uint8Array;
}

/** Initiator after a valid act two, ready to send act three. */
export interface InitiatorActTwoRead {
  readonly kind: 'initiator-act-two-read';
  readonly ck: Uint8Array;
  readonly h: Uint8Array;
  readonly tempK2: Uint8Array;
  readonly remoteStatic: Uint8Array;
  readonly remoteEphemeral: Uint8Array;
}

/** Responder after a valid act one, ready to send act two. */
export interface ResponderActOneRead {
  readonly kind: 'responder-act-one-read';
  readonly ck: Uint8Array;
  readonly h: Uint8Array;
  readonly remoteEphemeral: Uint8Array;
}

/** Responder after sending act two, waiting for act three. */
export interface ResponderActTwoSent {
  readonly kind: 'responder-act-two-sent';
  readonly ck: Uint8Array;
  readonly h: Uint8Array;
  readonly tempK2: Uint8Array;
  readonly ephemeralPrivateKey: Uint8Array;
}

export type HandshakeState = InitiatorActOneSent | InitiatorActTwoRead | ResponderActOneRead | ResponderActTwoSent;

// BOLT 8 §Handshake State Initialization, steps 1-3 (the same for every handshake).
const PROTOCOL_NAME = new TextEncoder().encode('Noise_XK_secp256k1_ChaChaPoly_SHA256');
const PROLOGUE = new TextEncoder().encode('lightning');
const INITIAL_CK = sha256(PROTOCOL_NAME);
const INITIAL_H = sha256(concat(INITIAL_CK, PROLOGUE));
const EMPTY = new Uint8Array(0);

/** `h = SHA-256(h || data)` */
const mixHash = (h: Uint8Array, data: Uint8Array): Uint8Array => sha256(concat(h, data));

/** Concluding initialization step: both sides mix in the responder's static key. */
const initialH = (responderStatic: Uint8Array): Uint8Array => mixHash(INITIAL_H, responderStatic);

const isCompressedPoint = (p: Uint8Array): boolean => p.length === 33 && secp.isValidPublicKey(p);

function requireLocalPoint(point: Uint8Array, what: string): void {
  if (!isCompressedPoint(point)) throw new RangeError(`${what}: not a valid 33-byte compressed secp256k1 point`);
}

function requireEphemeralKey(privateKey: Uint8Array): Uint8Array {
  if (!secp.isValidPrivateKey(privateKey)) throw new RangeError('ephemeral private key: not a valid secp256k1 scalar');
  return secp.publicKey(privateKey);
}

/** Checks an act's length and version byte (Receiver Actions steps 1-3). */
function readAct(act: 1 | 2 | 3, message: Uint8Array, expected: number): void {
  if (message.length !== expected) {
    throw new HandshakeError(`ACT${act}_READ_FAILED`, `act${act}: expected ${expected} bytes, got ${message.length}`);
  }
  if (message[0] !== HANDSHAKE_VERSION) {
    throw new HandshakeError(`ACT${act}_BAD_VERSION`, `act${act}: unknown version ${message[0]}`);
  }
}

/** Act one and act two are `version || e.pub || MAC`. */
function ephemeralAct(ephemeralPublicKey: Uint8Array, mac: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(HANDSHAKE_VERSION), ephemeralPublicKey, mac);
}

// ---------------------------------------------------------------- initiator

/** Act One, Sender Actions: `-> e, es`. Returns the 50 bytes to send. */
export function initiatorActOne(params: {
  readonly remoteStatic: Uint8Array;
  readonly ephemeralPrivateKey: Uint8Array;
}): { readonly state: InitiatorActOneSent; readonly message: Uint8Array } {
  const { remoteStatic, ephemeralPrivateKey } = params;
  requireLocalPoint(remoteStatic, 'remote static public key');
  const ePub = requireEphemeralKey(ephemeralPrivateKey); // 1. e = generateKey() (by the caller)
  let h = mixHash(initialH(remoteStatic), ePub); //          2. h = SHA-256(h || e.pub)
  const es = secp.ecdh(ephemeralPrivateKey, remoteStatic); // 3. es = ECDH(e.priv, rs)
  const [ck, tempK1] = hkdf(INITIAL_CK, es); //              4. ck, temp_k1 = HKDF(ck, es)
  const c = encryptWithAd(tempK1, 0, h, EMPTY); //           5. c = encryptWithAD(temp_k1, 0, h, zero)
  h = mixHash(h, c); //                                      6. h = SHA-256(h || c)
  return {
    state: { kind: 'initiator-act-one-sent', ck, h, remoteStatic: Uint8Array.from(remoteStatic), ephemeralPrivateKey: Uint8Array.from(ephemeralPrivateKey) },
    message: ephemeralAct(ePub, c), //                       7. m = 0 || e.pub || c
  };
}

/** Act Two, Receiver Actions on the initiator: checks `<- e, ee`. */
export function initiatorReadActTwo(state: InitiatorActOneSent, message: Uint8Array): InitiatorActTwoRead {
  readAct(2, message, ACT_TWO_LENGTH); //                    1-3. length, version
  const re = message.slice(1, 34);
  const c = message.subarray(34);
  if (!isCompressedPoint(re)) throw new HandshakeError('ACT2_BAD_PUBKEY', 'act2: invalid ephemeral public key');
  let h = mixHash(state.h, re); //                           4. h = SHA-256(h || re)
  const ee = secp.ecdh(state.ephemeralPrivateKey, re); //    5. ee = ECDH(e.priv, re)
  const [ck, tempK2] = hkdf(state.ck, ee); //                6. ck, temp_k2 = HKDF(ck, ee)
  if (decryptWithAd(tempK2, 0, h, c) === null) { //         7. p = decryptWithAD(temp_k2, 0, h, c)
    throw new HandshakeError('ACT2_BAD_TAG', 'act2: bad MAC');
  }
  h = mixHash(h, c); //                                      8. h = SHA-256(h || c)
  return { kind: 'initiator-act-two-read', ck, h, tempK2, remoteStatic: state.remoteStatic, remoteEphemeral: re };
}

/** Act Three, Sender Actions: `-> s, se`. Returns the 66 bytes to send and the session keys. */
export async function initiatorActThree(
  state: InitiatorActTwoRead,
  localKey: NodeKey,
): Promise<{ readonly message: Uint8Array; readonly result: HandshakeResult }> {
  requireLocalPoint(localKey.publicKey, 'local static public key');
  const c = encryptWithAd(state.tempK2, 1, state.h, localKey.publicKey); // 1. c = encryptWithAD(temp_k2, 1, h, s.pub)
  const h = mixHash(state.h, c); //                          2. h = SHA-256(h || c)
  const se = await localKey.ecdh(state.remoteEphemeral); //  3. se = ECDH(s.priv, re)
  const [ck, tempK3] = hkdf(state.ck, se); //                4. ck, temp_k3 = HKDF(ck, se)
  const t = encryptWithAd(tempK3, 0, h, EMPTY); //           5. t = encryptWithAD(temp_k3, 0, h, zero)
  const [sendingKey, receivingKey] = hkdf(ck, EMPTY); //     6. sk, rk = HKDF(ck, zero)
  return {
    message: concat(Uint8Array.of(HANDSHAKE_VERSION), c, t), // 9. m = 0 || c || t
    result: { sendingKey, receivingKey, chainingKey: ck, remoteStatic: state.remoteStatic, handshakeHash: h }, // 7-8
  };
}

// ---------------------------------------------------------------- responder

/** Act One, Receiver Actions on the responder: checks `-> e, es` against our static key. */
export async function responderReadActOne(localKey: NodeKey, message: Uint8Array): Promise<ResponderActOneRead> {
  requireLocalPoint(localKey.publicKey, 'local static public key');
  readAct(1, message, ACT_ONE_LENGTH); //                    1-3. length, version
  const re = message.slice(1, 34);
  const c = message.subarray(34);
  if (!isCompressedPoint(re)) throw new HandshakeError('ACT1_BAD_PUBKEY', 'act1: invalid ephemeral public key');
  let h = mixHash(initialH(localKey.publicKey), re); //      4. h = SHA-256(h || re)
  const es = await localKey.ecdh(re); //                     5. es = ECDH(s.priv, re)
  const [ck, tempK1] = hkdf(INITIAL_CK, es); //              6. ck, temp_k1 = HKDF(ck, es)
  if (decryptWithAd(tempK1, 0, h, c) === null) { //         7. p = decryptWithAD(temp_k1, 0, h, c)
    throw new HandshakeError('ACT1_BAD_TAG', 'act1: bad MAC (the initiator does not know our static key)');
  }
  h = mixHash(h, c); //                                      8. h = SHA-256(h || c)
  return { kind: 'responder-act-one-read', ck, h, remoteEphemeral: re };
}

/** Act Two, Sender Actions: `<- e, ee`. Returns the 50 bytes to send. */
export function responderActTwo(
  state: ResponderActOneRead,
  ephemeralPrivateKey: Uint8Array,
): { readonly state: ResponderActTwoSent; readonly message: Uint8Array } {
  const ePub = requireEphemeralKey(ephemeralPrivateKey); // 1. e = generateKey() (by the caller)
  let h = mixHash(state.h, ePub); //                         2. h = SHA-256(h || e.pub)
  const ee = secp.ecdh(ephemeralPrivateKey, state.remoteEphemeral); // 3. ee = ECDH(e.priv, re)
  const [ck, tempK2] = hkdf(state.ck, ee); //                4. ck, temp_k2 = HKDF(ck, ee)
  const c = encryptWithAd(tempK2, 0, h, EMPTY); //           5. c = encryptWithAD(temp_k2, 0, h, zero)
  h = mixHash(h, c); //                                      6. h = SHA-256(h || c)
  return {
    state: { kind: 'responder-act-two-sent', ck, h, tempK2, ephemeralPrivateKey: Uint8Array.from(ephemeralPrivateKey) },
    message: ephemeralAct(ePub, c), //                       7. m = 0 || e.pub || c
  };
}

/** Act Three, Receiver Actions: checks `-> s, se`, learns the initiator's static key. */
export function responderReadActThree(state: ResponderActTwoSent, message: Uint8Array): HandshakeResult {
  readAct(3, message, ACT_THREE_LENGTH); //                  1-3. length, version
  const c = message.subarray(1, 34 + MAC_LENGTH);
  const t = message.subarray(34 + MAC_LENGTH);
  const rs = decryptWithAd(state.tempK2, 1, state.h, c); //  4. rs = decryptWithAD(temp_k2, 1, h, c)
  if (rs === null) throw new HandshakeError('ACT3_BAD_CIPHERTEXT', 'act3: bad MAC on static key');
  if (!isCompressedPoint(rs)) throw new HandshakeError('ACT3_BAD_PUBKEY', 'act3: invalid static public key');
  const h = mixHash(state.h, c); //                          5. h = SHA-256(h || c)
  const se = secp.ecdh(state.ephemeralPrivateKey, rs); //    6. se = ECDH(e.priv, rs)
  const [ck, tempK3] = hkdf(state.ck, se); //                7. ck, temp_k3 = HKDF(ck, se)
  if (decryptWithAd(tempK3, 0, h, t) === null) { //         8. p = decryptWithAD(temp_k3, 0, h, t)
    throw new HandshakeError('ACT3_BAD_TAG', 'act3: bad MAC on final tag');
  }
  const [receivingKey, sendingKey] = hkdf(ck, EMPTY); //     9. rk, sk = HKDF(ck, zero)
  return { sendingKey, receivingKey, chainingKey: ck, remoteStatic: rs, handshakeHash: h }; // 10-11
}
