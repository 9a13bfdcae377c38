// BOLT 3 scripts: the funding 2-of-2, to_local, to_remote, anchors and HTLC witness scripts,
// their P2WSH / P2WPKH scriptPubKeys, and the witnesses that spend them.
import { compare } from '../bytes.js';
import { hash160, ripemd160, sha256 } from '../crypto/hash.js';

export class ScriptError extends Error {
  override readonly name = 'ScriptError';
}

// Opcodes used by BOLT 3 (values from Bitcoin Core's script.h).
export const OP = {
  OP_0: 0x00,
  OP_PUSHDATA1: 0x4c,
  OP_PUSHDATA2: 0x4d,
  OP_1: 0x51,
  OP_2: 0x52,
  OP_16: 0x60,
  OP_IF: 0x63,
  OP_NOTIF: 0x64,
  OP_ELSE: 0x67,
  OP_ENDIF: 0x68,
  OP_RETURN: 0x6a,
  OP_IFDUP: 0x73,
  OP_DROP: 0x75,
  OP_DUP: 0x76,
  OP_SWAP: 0x7c,
  OP_SIZE: 0x82,
  OP_EQUAL: 0x87,
  OP_EQUALVERIFY: 0x88,
  OP_HASH160: 0xa9,
  OP_CHECKSIG: 0xac,
  OP_CHECKSIGVERIFY: 0xad,
  OP_CHECKMULTISIG: 0xae,
  OP_CHECKLOCKTIMEVERIFY: 0xb1,
  OP_CHECKSEQUENCEVERIFY: 0xb2,
} as const;

/** An opcode (a number) or bytes to push with the minimal push opcode. */
export type ScriptPart = number | Uint8Array;

function pushSize(data: Uint8Array): number {
  const n = data.length;
  return n < OP.OP_PUSHDATA1 ? 1 + n : n <= 0xff ? 2 + n : 3 + n;
}

/** Assemble a script: numbers are opcodes, byte arrays are pushed (minimal push encoding). */
export function encodeScript(parts: readonly ScriptPart[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += typeof p === 'number' ? 1 : pushSize(p);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'number') {
      out[at++] = p;
      continue;
    }
    const n = p.length;
    if (n < OP.OP_PUSHDATA1) out[at++] = n;
    else if (n <= 0xff) {
      out[at++] = OP.OP_PUSHDATA1;
      out[at++] = n;
    } else if (n <= 520) {
      out[at++] = OP.OP_PUSHDATA2;
      out[at++] = n & 0xff;
      out[at++] = n >>> 8;
    } else throw new ScriptError(`script push of ${n} bytes exceeds the 520-byte element limit`);
    out.set(p, at);
    at += n;
  }
  return out;
}

/**
 * A non-negative number as a script pushes it: OP_0 / OP_1..OP_16, else the minimal
 * little-endian CScriptNum bytes (with a sign-padding byte when the top bit is set).
 */
export function scriptNumber(n: number): ScriptPart {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new ScriptError(`script number ${n} is not a u32`);
  if (n === 0) return OP.OP_0;
  if (n <= 16) return OP.OP_1 + n - 1;
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.push(v % 256);
  if (bytes[bytes.length - 1]! & 0x80) bytes.push(0);
  return Uint8Array.from(bytes);
}

function checkPubkey(key: Uint8Array, what: string): void {
  if (key.length !== 33 || (key[0] !== 0x02 && key[0] !== 0x03)) {
    throw new ScriptError(`${what}: expected a 33-byte compressed public key, got ${key.length} bytes`);
  }
}

function checkU16(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new ScriptError(`${what}: ${n} is not a u16`);
}

// ---------------------------------------------------------------- scriptPubKeys

/** P2WSH: OP_0 <SHA256(witness script)>. */
export function p2wsh(witnessScript: Uint8Array): Uint8Array {
  const out = new Uint8Array(34);
  out[1] = 0x20;
  out.set(sha256(witnessScript), 2);
  return out;
}

/** P2WPKH: OP_0 <HASH160(pubkey)>. */
export function p2wpkh(pubkey: Uint8Array): Uint8Array {
  checkPubkey(pubkey, 'P2WPKH pubkey');
  const out = new Uint8Array(22);
  out[1] = 0x14;
  out.set(hash160(pubkey), 2);
  return out;
}

/** P2PKH: OP_DUP OP_HASH160 <pubkey hash> OP_EQUALVERIFY OP_CHECKSIG. */
export function p2pkhFromHash(pubkeyHash: Uint8Array): Uint8Array {
  if (pubkeyHash.length !== 20) throw new ScriptError(`P2PKH pubkey hash: expected 20 bytes, got ${pubkeyHash.length}`);
  return encodeScript([OP.OP_DUP, OP.OP_HASH160, pubkeyHash, OP.OP_EQUALVERIFY, OP.OP_CHECKSIG]);
}

/** The BIP 143 scriptCode of a P2WPKH output (the P2PKH script of the same key hash). */
export function p2wpkhScriptCode(pubkey: Uint8Array): Uint8Array {
  checkPubkey(pubkey, 'P2WPKH pubkey');
  return p2pkhFromHash(hash160(pubkey));
}

// ---------------------------------------------------------------- BOLT 3 witness scripts

/** BOLT 3 §Funding Transaction Output: 2 <pubkey1> <pubkey2> 2 OP_CHECKMULTISIG, keys in lexicographic order. */
export function fundingScript(fundingPubkeyA: Uint8Array, fundingPubkeyB: Uint8Array): Uint8Array {
  checkPubkey(fundingPubkeyA, 'funding pubkey');
  checkPubkey(fundingPubkeyB, 'funding pubkey');
  const [first, second] = compare(fundingPubkeyA, fundingPubkeyB) <= 0 ? [fundingPubkeyA, fundingPubkeyB] : [fundingPubkeyB, fundingPubkeyA];
  return encodeScript([OP.OP_2, first, second, OP.OP_2, OP.OP_CHECKMULTISIG]);
}

/** BOLT 3 §`to_local` Output (also the HTLC-success/timeout output script). */
export function toLocalScript(revocationPubkey: Uint8Array, toSelfDelay: number, localDelayedPubkey: Uint8Array): Uint8Array {
  checkPubkey(revocationPubkey, 'revocationpubkey');
  checkPubkey(localDelayedPubkey, 'local_delayedpubkey');
  checkU16(toSelfDelay, 'to_self_delay');
  return encodeScript([
    OP.OP_IF,
    revocationPubkey,
    OP.OP_ELSE,
    scriptNumber(toSelfDelay),
    OP.OP_CHECKSEQUENCEVERIFY,
    OP.OP_DROP,
    localDelayedPubkey,
    OP.OP_ENDIF,
    OP.OP_CHECKSIG,
  ]);
}

/** BOLT 3 §`to_remote` Output with option_anchors: <remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY. */
export function toRemoteAnchorsScript(remotePubkey: Uint8Array): Uint8Array {
  checkPubkey(remotePubkey, 'remotepubkey');
  return encodeScript([remotePubkey, OP.OP_CHECKSIGVERIFY, OP.OP_1, OP.OP_CHECKSEQUENCEVERIFY]);
}

/** BOLT 3 §`to_local_anchor` and `to_remote_anchor` Output: spendable by the funding key, or by anyone after 16 blocks. */
export function anchorScript(fundingPubkey: Uint8Array): Uint8Array {
  checkPubkey(fundingPubkey, 'anchor funding pubkey');
  return encodeScript([fundingPubkey, OP.OP_CHECKSIG, OP.OP_IFDUP, OP.OP_NOTIF, OP.OP_16, OP.OP_CHECKSEQUENCEVERIFY, OP.OP_ENDIF]);
}

export interface HtlcScriptKeys {
  readonly revocationPubkey: Uint8Array;
  readonly localHtlcPubkey: Uint8Array;
  readonly remoteHtlcPubkey: Uint8Array;
}

function checkHtlcKeys(keys: HtlcScriptKeys, paymentHash: Uint8Array): void {
  checkPubkey(keys.revocationPubkey, 'revocationpubkey');
  checkPubkey(keys.localHtlcPubkey, 'local_htlcpubkey');
  checkPubkey(keys.remoteHtlcPubkey, 'remote_htlcpubkey');
  if (paymentHash.length !== 32) throw new ScriptError(`payment_hash: expected 32 bytes, got ${paymentHash.length}`);
}

/**
 * BOLT 3 §Offered HTLC Outputs. `revocationKeyHash` (HASH160 of revocationpubkey) may be
 * passed when one commitment builds many HTLC scripts, to hash it once.
 */
export function offeredHtlcScript(keys: HtlcScriptKeys, paymentHash: Uint8Array, anchors: boolean, revocationKeyHash?: Uint8Array): Uint8Array {
  checkHtlcKeys(keys, paymentHash);
  return encodeScript([
    OP.OP_DUP, OP.OP_HASH160, revocationKeyHash ?? hash160(keys.revocationPubkey), OP.OP_EQUAL,
    OP.OP_IF,
      OP.OP_CHECKSIG,
    OP.OP_ELSE,
      keys.remoteHtlcPubkey, OP.OP_SWAP, OP.OP_SIZE, scriptNumber(32), OP.OP_EQUAL,
      OP.OP_NOTIF,
        OP.OP_DROP, OP.OP_2, OP.OP_SWAP, keys.localHtlcPubkey, OP.OP_2, OP.OP_CHECKMULTISIG,
      OP.OP_ELSE,
        OP.OP_HASH160, ripemd160(paymentHash), OP.OP_EQUALVERIFY,
        OP.OP_CHECKSIG,
      OP.OP_ENDIF,
      ...(anchors ? [OP.OP_1, OP.OP_CHECKSEQUENCEVERIFY, OP.OP_DROP] : []),
    OP.OP_ENDIF,
  ]);
}

/** BOLT 3 §Received HTLC Outputs. */
export function receivedHtlcScript(
  keys: HtlcScriptKeys,
  paymentHash: Uint8Array,
  cltvExpiry: number,
  anchors: boolean,
  revocationKeyHash?: Uint8Array,
): Uint8Array {
  checkHtlcKeys(keys, paymentHash);
  return encodeScript([
    OP.OP_DUP, OP.OP_HASH160, revocationKeyHash ?? hash160(keys.revocationPubkey), OP.OP_EQUAL,
    OP.OP_IF,
      OP.OP_CHECKSIG,
    OP.OP_ELSE,
      keys.remoteHtlcPubkey, OP.OP_SWAP, OP.OP_SIZE, scriptNumber(32), OP.OP_EQUAL,
      OP.OP_IF,
        OP.OP_HASH160, ripemd160(paymentHash), OP.OP_EQUALVERIFY,
        OP.OP_2, OP.OP_SWAP, keys.localHtlcPubkey, OP.OP_2, OP.OP_CHECKMULTISIG,
      OP.OP_ELSE,
        OP.OP_DROP, scriptNumber(cltvExpiry), OP.OP_CHECKLOCKTIMEVERIFY, OP.OP_DROP,
        OP.OP_CHECKSIG,
      OP.OP_ENDIF,
      ...(anchors ? [OP.OP_1, OP.OP_CHECKSEQUENCEVERIFY, OP.OP_DROP] : []),
    OP.OP_ENDIF,
  ]);
}

// ---------------------------------------------------------------- witnesses

const EMPTY = new Uint8Array(0);

/**
 * BOLT 3 §Commitment Transaction, txin[0] witness: 0 <signature_for_pubkey1> <signature_for_pubkey2>
 * <funding script>, the signatures in the order of their funding pubkeys. Signatures carry their sighash byte.
 */
export function fundingWitness(pubkeyA: Uint8Array, signatureA: Uint8Array, pubkeyB: Uint8Array, signatureB: Uint8Array): Uint8Array[] {
  const aFirst = compare(pubkeyA, pubkeyB) <= 0;
  return [EMPTY, aFirst ? signatureA : signatureB, aFirst ? signatureB : signatureA, fundingScript(pubkeyA, pubkeyB)];
}

/** BOLT 3 §`to_local` Output, after to_self_delay (input nSequence = to_self_delay): <local_delayedsig> <>. */
export function toLocalDelayedWitness(localDelayedSignature: Uint8Array, witnessScript: Uint8Array): Uint8Array[] {
  return [localDelayedSignature, EMPTY, witnessScript];
}

/** BOLT 3 §`to_local` Output, revoked commitment: <revocation_sig> 1. */
export function toLocalPenaltyWitness(revocationSignature: Uint8Array, witnessScript: Uint8Array): Uint8Array[] {
  return [revocationSignature, Uint8Array.of(1), witnessScript];
}

/** BOLT 3 §`to_remote` Output with option_anchors (input nSequence = 1): <remote_sig>. */
export function toRemoteAnchorsWitness(remoteSignature: Uint8Array, witnessScript: Uint8Array): Uint8Array[] {
  return [remoteSignature, witnessScript];
}

/** BOLT 3 §`to_local_anchor` and `to_remote_anchor`: <local_sig/remote_sig>, or <> by anyone after 16 blocks. */
export function anchorWitness(signature: Uint8Array | null, witnessScript: Uint8Array): Uint8Array[] {
  return [signature ?? EMPTY, witnessScript];
}
