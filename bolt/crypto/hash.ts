// Hash functions used across the BOLTs, on Node's native OpenSSL.
import { createHash, createHmac } from 'node:crypto';

export function sha256(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** Bitcoin's double SHA-256 (txid, block hash, BOLT 7 gossip signatures). */
export function sha256d(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return sha256(sha256(data));
}

export function ripemd160(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('ripemd160').update(data).digest());
}

/** RIPEMD160(SHA256(x)): P2WPKH key hashes and BOLT 3 HTLC payment hashes. */
export function hash160(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return ripemd160(sha256(data));
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHmac('sha256', key).update(data).digest());
}
