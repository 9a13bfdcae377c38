// BOLT 4 §Key Generation, §Pseudo Random Byte Stream, §Shared Secret and §Blinding Ephemeral Onion Keys:
// the per-hop keys every onion operation derives from one 32-byte shared secret.
import { createCipheriv } from 'node:crypto';
import { hmacSha256, sha256 } from '../crypto/hash.js';
import { secp } from '../crypto/secp256k1.js';
import { concat } from '../bytes.js';

/** The key types of BOLT 4 §Key Generation, plus `ammag` of §Returning Errors. */
export type OnionKeyType = 'rho' | 'mu' | 'um' | 'pad' | 'ammag';

const KEY_TYPE_BYTES: Readonly<Record<OnionKeyType, Uint8Array>> = {
  rho: new TextEncoder().encode('rho'),
  mu: new TextEncoder().encode('mu'),
  um: new TextEncoder().encode('um'),
  pad: new TextEncoder().encode('pad'),
  ammag: new TextEncoder().encode('ammag'),
};

/** BOLT 4 §Key Generation: HMAC-SHA256 keyed with the key type's ASCII name (no NUL), over the secret. */
export function onionKey(type: OnionKeyType, secret: Uint8Array): Uint8Array {
  if (secret.length !== 32) throw new Error(`${type} key: the secret must be 32 bytes, got ${secret.length}`);
  return hmacSha256(KEY_TYPE_BYTES[type], secret);
}

const ZERO_IV = new Uint8Array(16); // node:crypto chacha20 IV: 4-byte block counter (0) || 12-byte nonce (0)

/** BOLT 4 §Pseudo Random Byte Stream: ChaCha20 with a 96-bit zero nonce over `length` zero bytes. */
export function chachaStream(key: Uint8Array, length: number): Uint8Array {
  if (key.length !== 32) throw new Error(`ChaCha20 stream key must be 32 bytes, got ${key.length}`);
  const cipher = createCipheriv('chacha20', key, ZERO_IV);
  const out = new Uint8Array(cipher.update(new Uint8Array(length)));
  cipher.final();
  return out;
}

/** `target[i] ^= stream[i]` for every byte of target (stream must be at least as long). */
export function xorInPlace(target: Uint8Array, stream: Uint8Array): void {
  if (stream.length < target.length) throw new Error(`xor: stream of ${stream.length} bytes is shorter than ${target.length}`);
  for (let i = 0; i < target.length; i++) target[i]! ^= stream[i]!;
}

/** BOLT 4 §Blinding Ephemeral Onion Keys: SHA256(ephemeral public key || shared secret). */
export function blindingFactor(ephemeralPublicKey: Uint8Array, sharedSecret: Uint8Array): Uint8Array {
  return sha256(concat(ephemeralPublicKey, sharedSecret));
}

/** The next hop's ephemeral public key, from public data alone (a forwarding node holds no private key). */
export function nextEphemeralKey(ephemeralPublicKey: Uint8Array, sharedSecret: Uint8Array): Uint8Array {
  return secp.publicKeyTweakMul(ephemeralPublicKey, blindingFactor(ephemeralPublicKey, sharedSecret));
}

/** What the origin derives for each hop of a route: the ephemeral key the hop sees and their shared secret. */
export interface HopKeys {
  readonly ephemeralPublicKey: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/**
 * BOLT 4 §Packet Construction, first loop: ek_1 = session key; ss_k = ECDH(ek_k, node_k);
 * ek_{k+1} = ek_k · SHA256(epk_k || ss_k).
 */
export function routeHopKeys(sessionKey: Uint8Array, nodeIds: readonly Uint8Array[]): HopKeys[] {
  if (!secp.isValidPrivateKey(sessionKey)) throw new Error('onion session key: not a valid secp256k1 private key');
  const keys: HopKeys[] = [];
  let ephemeralPrivateKey = sessionKey;
  for (let i = 0; i < nodeIds.length; i++) {
    const nodeId = nodeIds[i]!;
    if (nodeId.length !== 33 || !secp.isValidPublicKey(nodeId)) throw new Error(`onion hop ${i}: node id is not a valid compressed public key`);
    const ephemeralPublicKey = secp.publicKey(ephemeralPrivateKey);
    const sharedSecret = secp.ecdh(ephemeralPrivateKey, nodeId);
    keys.push({ ephemeralPublicKey, sharedSecret });
    if (i + 1 < nodeIds.length) {
      ephemeralPrivateKey = secp.privateKeyTweakMul(ephemeralPrivateKey, blindingFactor(ephemeralPublicKey, sharedSecret));
    }
  }
  return keys;
}
