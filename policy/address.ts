// Allowlist entries: Bitcoin addresses to scriptPubKeys (BIP 173/350 segwit, base58check
// legacy) and BIP 32 extended public keys. Pure decoding; no network access.

import { bech32, bech32m, createBase58check } from '@scure/base';
import { sha256 } from '../bolt/crypto/hash.js';
import { hex } from '../bolt/bytes.js';
import { secp } from '../bolt/crypto/secp256k1.js';

export type Network = 'bitcoin' | 'testnet' | 'signet' | 'regtest';
export const NETWORKS: readonly Network[] = ['bitcoin', 'testnet', 'signet', 'regtest'];

interface NetworkParams {
  readonly hrp: string;
  readonly pubKeyHash: number;
  readonly scriptHash: number;
  /** BIP 32 version bytes of an extended public key, and the prefix it prints with. */
  readonly xpubVersion: number;
  readonly xpubPrefix: string;
}

const TEST = { pubKeyHash: 0x6f, scriptHash: 0xc4, xpubVersion: 0x043587cf, xpubPrefix: 'tpub' };
const PARAMS: Record<Network, NetworkParams> = {
  bitcoin: { hrp: 'bc', pubKeyHash: 0x00, scriptHash: 0x05, xpubVersion: 0x0488b21e, xpubPrefix: 'xpub' },
  testnet: { hrp: 'tb', ...TEST },
  signet: { hrp: 'tb', ...TEST },
  regtest: { hrp: 'bcrt', ...TEST },
};

const base58check = createBase58check(sha256);

/** Thrown with a message that says what is wrong with the address or key (never echoing a private key). */
export class AllowlistEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllowlistEntryError';
  }
}

function guessNetwork(address: string): string | null {
  const l = address.toLowerCase();
  if (l.startsWith('bcrt1')) return 'regtest';
  if (l.startsWith('bc1')) return 'bitcoin';
  if (l.startsWith('tb1')) return 'testnet or signet';
  if (/^[13]/.test(address)) return 'bitcoin';
  if (/^[mn2]/.test(address)) return 'testnet, signet or regtest';
  return null;
}

function wrongNetwork(address: string, network: Network): AllowlistEntryError {
  const guess = guessNetwork(address);
  if (guess !== null && !guess.includes(network)) {
    return new AllowlistEntryError(`${address} is a ${guess} address, but network is ${network}`);
  }
  return new AllowlistEntryError(`${address} is not a valid ${network} address`);
}

// BIP 141: witness version 0..16 then a 2..40 byte program (20 or 32 for version 0);
// BIP 350: version 0 uses bech32, later versions bech32m.
function segwitScript(address: string, p: NetworkParams): Uint8Array | null {
  const lower = address.toLowerCase();
  if (!lower.startsWith(`${p.hrp}1`)) return null;
  if (address !== lower && address !== address.toUpperCase()) return null;
  for (const coder of [bech32, bech32m]) {
    let decoded: { prefix: string; words: number[] };
    try {
      decoded = coder.decode(lower as `${string}1${string}`, 90);
    } catch {
      continue;
    }
    if (decoded.prefix !== p.hrp || decoded.words.length === 0) return null;
    const version = decoded.words[0]!;
    if (version > 16 || (version === 0) !== (coder === bech32)) return null;
    let program: Uint8Array;
    try {
      program = coder.fromWords(decoded.words.slice(1));
    } catch {
      return null;
    }
    if (program.length < 2 || program.length > 40) return null;
    if (version === 0 && program.length !== 20 && program.length !== 32) return null;
    const script = new Uint8Array(2 + program.length);
    script[0] = version === 0 ? 0x00 : 0x50 + version; // OP_0 or OP_1..OP_16
    script[1] = program.length;
    script.set(program, 2);
    return script;
  }
  return null;
}

function legacyScript(address: string, p: NetworkParams): Uint8Array | null {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(address);
  } catch {
    return null;
  }
  if (payload.length !== 21) return null;
  const h = payload.subarray(1);
  if (payload[0] === p.pubKeyHash) {
    // OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
    return Uint8Array.of(0x76, 0xa9, 0x14, ...h, 0x88, 0xac);
  }
  if (payload[0] === p.scriptHash) {
    // OP_HASH160 <20> OP_EQUAL
    return Uint8Array.of(0xa9, 0x14, ...h, 0x87);
  }
  return null;
}

/** The scriptPubKey (hex) an address pays to, or an AllowlistEntryError naming the problem. */
export function addressToScriptHex(address: string, network: Network): string {
  const p = PARAMS[network];
  const script = segwitScript(address, p) ?? legacyScript(address, p);
  if (script === null) throw wrongNetwork(address, network);
  return hex(script);
}

// BIP 32 §Serialization format: version(4) depth(1) fingerprint(4) child(4) chaincode(32) key(33).
/** Checks an extended public key for the network; returns its 33-byte public key in hex. */
export function checkXpub(xpub: string, network: Network): string {
  if (/^[a-z]prv/i.test(xpub)) {
    throw new AllowlistEntryError('is a private extended key; the policy holds public keys only (remove it and treat it as leaked)');
  }
  const p = PARAMS[network];
  let payload: Uint8Array;
  try {
    payload = base58check.decode(xpub);
  } catch {
    throw new AllowlistEntryError(`${xpub} is not a valid extended public key (bad base58 or checksum)`);
  }
  if (payload.length !== 78) throw new AllowlistEntryError(`${xpub} is ${payload.length} bytes, an extended key is 78`);
  const version = new DataView(payload.buffer, payload.byteOffset).getUint32(0, false);
  if (version !== p.xpubVersion) {
    throw new AllowlistEntryError(`${xpub} is not a ${network} extended public key (expected one starting with ${p.xpubPrefix})`);
  }
  const key = payload.subarray(45);
  if ((key[0] !== 0x02 && key[0] !== 0x03) || !secp.isValidPublicKey(key)) {
    throw new AllowlistEntryError(`${xpub} holds an invalid public key`);
  }
  return hex(key);
}
