// One small interface over secp256k1, so the hot path can use native libsecp256k1
// while the audited pure-JS @noble/secp256k1 stays the portable fallback.
// The backend is chosen once, at load: VIGIL_SECP256K1=native|noble (default: native when it loads).
import { createRequire } from 'node:module';
import * as noble from '@noble/secp256k1';
import { hmacSha256, sha256 } from './hash.js';

noble.hashes.sha256 = sha256;
noble.hashes.hmacSha256 = hmacSha256;

export interface RecoverableSignature {
  /** r || s, 64 bytes, low-S. */
  readonly signature: Uint8Array;
  /** Recovery id 0..3. */
  readonly recovery: number;
}

/** Every curve operation Vigil needs. Keys are 32-byte scalars and 33-byte compressed points. */
export interface Secp256k1 {
  readonly name: 'native' | 'noble';
  isValidPrivateKey(key: Uint8Array): boolean;
  isValidPublicKey(point: Uint8Array): boolean;
  publicKey(privateKey: Uint8Array): Uint8Array;
  /** RFC 6979 deterministic, low-S; returns compact r || s. `digest` is the 32-byte message hash. */
  sign(digest: Uint8Array, privateKey: Uint8Array): Uint8Array;
  signRecoverable(digest: Uint8Array, privateKey: Uint8Array): RecoverableSignature;
  /** Accepts only low-S compact signatures, as libsecp256k1 does. */
  verify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
  recover(signature: Uint8Array, recovery: number, digest: Uint8Array): Uint8Array;
  /** SHA256 of the compressed shared point (BOLT 8 and BOLT 4 ECDH). */
  ecdh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** point + tweak·G */
  publicKeyTweakAdd(point: Uint8Array, tweak: Uint8Array): Uint8Array;
  /** point · tweak */
  publicKeyTweakMul(point: Uint8Array, tweak: Uint8Array): Uint8Array;
  publicKeyCombine(points: readonly Uint8Array[]): Uint8Array;
  /** (key + tweak) mod n */
  privateKeyTweakAdd(privateKey: Uint8Array, tweak: Uint8Array): Uint8Array;
  /** (key · tweak) mod n */
  privateKeyTweakMul(privateKey: Uint8Array, tweak: Uint8Array): Uint8Array;
}

const N = noble.Point.CURVE().n;
const scalar = (bytes: Uint8Array): bigint => noble.etc.bytesToNumberBE(bytes);
const scalarBytes = (n: bigint): Uint8Array => noble.etc.numberToBytesBE(n);

function nonZeroScalar(bytes: Uint8Array, what: string): bigint {
  if (bytes.length !== 32) throw new Error(`${what}: expected 32 bytes, got ${bytes.length}`);
  const n = scalar(bytes);
  if (n === 0n || n >= N) throw new Error(`${what}: scalar out of range`);
  return n;
}

function point(bytes: Uint8Array, what = 'public key'): noble.Point {
  try {
    return noble.Point.fromBytes(bytes);
  } catch {
    throw new Error(`${what}: not a valid secp256k1 point (${bytes.length} bytes)`);
  }
}

export const nobleBackend: Secp256k1 = {
  name: 'noble',
  isValidPrivateKey: (key) => noble.utils.isValidSecretKey(key),
  isValidPublicKey: (p) => noble.utils.isValidPublicKey(p, p.length === 33),
  publicKey: (k) => noble.getPublicKey(k, true),
  sign: (digest, k) => noble.sign(digest, k, { prehash: false, lowS: true }),
  signRecoverable(digest, k) {
    const r = noble.sign(digest, k, { prehash: false, lowS: true, format: 'recovered' });
    return { recovery: r[0]!, signature: r.slice(1) };
  },
  verify(sig, digest, pub) {
    try {
      return noble.verify(sig, digest, pub, { prehash: false, lowS: true });
    } catch {
      return false;
    }
  },
  recover(sig, recovery, digest) {
    const full = new Uint8Array(65);
    full[0] = recovery;
    full.set(sig, 1);
    return noble.recoverPublicKey(full, digest, { prehash: false });
  },
  ecdh: (k, pub) => sha256(point(pub).multiply(nonZeroScalar(k, 'private key')).toBytes(true)),
  publicKeyTweakAdd: (p, t) => {
    const tw = scalar(t);
    if (tw >= N) throw new Error('tweak: scalar out of range');
    const sum = tw === 0n ? point(p) : point(p).add(noble.Point.BASE.multiply(tw));
    if (sum.is0()) throw new Error('tweak: result is the point at infinity');
    return sum.toBytes(true);
  },
  publicKeyTweakMul: (p, t) => point(p).multiply(nonZeroScalar(t, 'tweak')).toBytes(true),
  publicKeyCombine(points) {
    let sum = noble.Point.ZERO;
    for (const p of points) sum = sum.add(point(p));
    if (sum.is0()) throw new Error('combine: result is the point at infinity');
    return sum.toBytes(true);
  },
  privateKeyTweakAdd(k, t) {
    const r = (nonZeroScalar(k, 'private key') + scalar(t)) % N;
    if (r === 0n || scalar(t) >= N) throw new Error('tweak: invalid result');
    return scalarBytes(r);
  },
  privateKeyTweakMul: (k, t) => scalarBytes((nonZeroScalar(k, 'private key') * nonZeroScalar(t, 'tweak')) % N),
};

/** The subset of the `secp256k1` package's native bindings we call. */
interface NativeBindings {
  privateKeyVerify(k: Uint8Array): boolean;
  publicKeyVerify(p: Uint8Array): boolean;
  publicKeyCreate(k: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaSign(msg: Uint8Array, k: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaVerify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean;
  ecdsaRecover(sig: Uint8Array, recid: number, msg: Uint8Array, compressed?: boolean): Uint8Array;
  ecdh(pub: Uint8Array, k: Uint8Array): Uint8Array;
  publicKeyTweakAdd(p: Uint8Array, t: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyTweakMul(p: Uint8Array, t: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyCombine(ps: Uint8Array[], compressed?: boolean): Uint8Array;
  privateKeyTweakAdd(k: Uint8Array, t: Uint8Array): Uint8Array;
  privateKeyTweakMul(k: Uint8Array, t: Uint8Array): Uint8Array;
}

function loadNative(): NativeBindings | null {
  try {
    // `secp256k1/bindings` is the compiled libsecp256k1 addon; it throws when it did not build.
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeBindings;
  } catch {
    return null;
  }
}

/** The native library mutates its inputs in the tweak calls; always hand it copies
 * (`new Uint8Array(x)` copies even when x is a Buffer, whose slice() would not). */
function nativeBackendFrom(lib: NativeBindings): Secp256k1 {
  const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
  };
  return {
    name: 'native',
    isValidPrivateKey: (k) => k.length === 32 && lib.privateKeyVerify(k),
    isValidPublicKey: (p) => (p.length === 33 || p.length === 65) && lib.publicKeyVerify(p),
    publicKey: (k) => guard('private key', () => lib.publicKeyCreate(k, true)),
    sign: (digest, k) => guard('sign', () => lib.ecdsaSign(digest, k).signature),
    signRecoverable(digest, k) {
      const r = guard('sign', () => lib.ecdsaSign(digest, k));
      return { signature: r.signature, recovery: r.recid };
    },
    verify(sig, digest, pub) {
      try {
        return lib.ecdsaVerify(sig, digest, pub);
      } catch {
        return false;
      }
    },
    recover: (sig, recovery, digest) => guard('recover', () => lib.ecdsaRecover(sig, recovery, digest, true)),
    ecdh: (k, pub) => guard('ecdh', () => lib.ecdh(pub, k)),
    publicKeyTweakAdd: (p, t) => guard('tweak', () => lib.publicKeyTweakAdd(copy(p), copy(t), true)),
    publicKeyTweakMul: (p, t) => guard('tweak', () => lib.publicKeyTweakMul(copy(p), copy(t), true)),
    publicKeyCombine: (ps) => guard('combine', () => lib.publicKeyCombine(ps.map(copy), true)),
    privateKeyTweakAdd: (k, t) => guard('tweak', () => lib.privateKeyTweakAdd(copy(k), copy(t))),
    privateKeyTweakMul: (k, t) => guard('tweak', () => lib.privateKeyTweakMul(copy(k), copy(t))),
  };
}

const nativeBindings = loadNative();
export const nativeBackend: Secp256k1 | null = nativeBindings ? nativeBackendFrom(nativeBindings) : null;

function chooseBackend(): Secp256k1 {
  const wanted = process.env['VIGIL_SECP256K1'];
  if (wanted === 'noble') return nobleBackend;
  if (wanted === 'native') {
    if (!nativeBackend) throw new Error('VIGIL_SECP256K1=native but the libsecp256k1 binding did not load');
    return nativeBackend;
  }
  if (wanted !== undefined && wanted !== '') throw new Error(`VIGIL_SECP256K1: unknown backend "${wanted}" (native|noble)`);
  return nativeBackend ?? nobleBackend;
}

/** The backend every bolt/ module calls. */
export const secp: Secp256k1 = chooseBackend();
