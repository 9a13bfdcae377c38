// BOLT 11 §Tagged Fields, `f`: an on-chain fallback address. The field is a 5-bit `version`
// followed by the address payload: 17 = P2PKH key hash, 18 = P2SH script hash,
// 0..16 = segwit witness version and program (bech32 for v0, bech32m from v1, BIP-0350).
import { bech32, bech32m, createBase58check } from '@scure/base';
import { sha256 } from '../crypto/hash.js';
import { NETWORKS, type Network } from './network.js';

export const FALLBACK_P2PKH = 17;
export const FALLBACK_P2SH = 18;

export interface FallbackAddress {
  /** 0..16 witness version, 17 P2PKH, 18 P2SH. */
  readonly version: number;
  /** The key hash, script hash or witness program. */
  readonly program: Uint8Array;
}

const base58check = createBase58check(sha256);

/** Why this (version, program) is not a usable fallback, or undefined when it is. */
export function fallbackProblem(version: number, program: Uint8Array): string | undefined {
  if (version === FALLBACK_P2PKH || version === FALLBACK_P2SH) {
    return program.length === 20 ? undefined : `version ${version} needs a 20-byte hash, got ${program.length} bytes`;
  }
  if (version > FALLBACK_P2SH) return `unknown version ${version}`;
  // BIP-0141: a v0 program is 20 (P2WPKH) or 32 (P2WSH) bytes; later versions 2..40 bytes.
  if (version === 0) return program.length === 20 || program.length === 32 ? undefined : `witness v0 program of ${program.length} bytes (expected 20 or 32)`;
  return program.length >= 2 && program.length <= 40 ? undefined : `witness v${version} program of ${program.length} bytes (expected 2..40)`;
}

/** The address string of a fallback on `network`. */
export function fallbackToAddress(network: Network, fallback: FallbackAddress): string {
  const { version, program } = fallback;
  const problem = fallbackProblem(version, program);
  if (problem) throw new Error(`fallback address: ${problem}`);
  const params = NETWORKS[network];
  if (version === FALLBACK_P2PKH || version === FALLBACK_P2SH) {
    const prefix = version === FALLBACK_P2PKH ? params.p2pkhVersion : params.p2shVersion;
    return base58check.encode(Uint8Array.of(prefix, ...program));
  }
  const coder = version === 0 ? bech32 : bech32m;
  return coder.encode(params.segwitHrp, [version, ...coder.toWords(program)]);
}

/** The fallback field payload for an address string on `network` (base58check P2PKH/P2SH or segwit). */
export function fallbackFromAddress(network: Network, address: string): FallbackAddress {
  const params = NETWORKS[network];
  const lower = address.toLowerCase();
  if (lower.startsWith(params.segwitHrp + '1')) {
    // BIP-0350: v0 uses bech32, v1+ bech32m; try the one the version byte calls for.
    for (const coder of [bech32, bech32m]) {
      const decoded = coder.decodeUnsafe(address, 90);
      if (!decoded || decoded.prefix !== params.segwitHrp || decoded.words.length === 0) continue;
      const [version, ...rest] = decoded.words as [number, ...number[]];
      if ((version === 0) !== (coder === bech32)) continue;
      const program = coder.fromWordsUnsafe(rest);
      if (!program) continue;
      const problem = fallbackProblem(version, program);
      if (problem) throw new Error(`fallback address "${address}": ${problem}`);
      return { version, program };
    }
    throw new Error(`fallback address "${address}": not a valid ${network} segwit address`);
  }
  let payload: Uint8Array;
  try {
    payload = base58check.decode(address);
  } catch (e) {
    throw new Error(`fallback address "${address}": not a ${network} address (${(e as Error).message})`);
  }
  if (payload.length === 21 && payload[0] === params.p2pkhVersion) return { version: FALLBACK_P2PKH, program: payload.slice(1) };
  if (payload.length === 21 && payload[0] === params.p2shVersion) return { version: FALLBACK_P2SH, program: payload.slice(1) };
  throw new Error(`fallback address "${address}": version byte ${payload[0]} is neither ${network} P2PKH nor P2SH`);
}
