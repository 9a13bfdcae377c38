// Output descriptors, the few forms a wallet needs to find its coins with scantxoutset:
// addr(ADDRESS), raw(HEX), pk(KEY), pkh(KEY), wpkh(KEY), sh(wpkh(KEY)) and tr(KEY) with hex keys
// (no extended keys, no ranges, no script trees), plus the BIP 380 checksum.
// Bitcoin Core: src/script/descriptor.cpp.
import { concat, fromHex, hex } from '../../../bolt/bytes.js';
import { hash160, sha256 } from '../../../bolt/crypto/hash.js';
import { secp } from '../../../bolt/crypto/secp256k1.js';
import { addressToScript, p2pkhScript, p2shScript, scriptToAddress, witnessScript, type AddressNetwork } from './address.js';
import { OP_CHECKSIG, outputType, pushData } from './script.js';

export class DescriptorError extends Error {
  override readonly name = 'DescriptorError';
}

// BIP 380 §Checksum
const INPUT_CHARSET = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn];

function polymod(symbols: readonly number[]): bigint {
  let chk = 1n;
  for (const value of symbols) {
    const top = chk >> 35n;
    chk = ((chk & 0x7ffffffffn) << 5n) ^ BigInt(value);
    for (let i = 0; i < 5; i++) if ((top >> BigInt(i)) & 1n) chk ^= GENERATOR[i]!;
  }
  return chk;
}

/** The 8-character BIP 380 checksum of a descriptor (without '#'). */
export function descriptorChecksum(desc: string): string {
  const symbols: number[] = [];
  let groups: number[] = [];
  for (const c of desc) {
    const v = INPUT_CHARSET.indexOf(c);
    if (v < 0) throw new DescriptorError(`descriptor: invalid character ${JSON.stringify(c)}`);
    symbols.push(v & 31);
    groups.push(v >> 5);
    if (groups.length === 3) {
      symbols.push(groups[0]! * 9 + groups[1]! * 3 + groups[2]!);
      groups = [];
    }
  }
  if (groups.length === 1) symbols.push(groups[0]!);
  else if (groups.length === 2) symbols.push(groups[0]! * 3 + groups[1]!);
  const checksum = polymod([...symbols, 0, 0, 0, 0, 0, 0, 0, 0]) ^ 1n;
  let out = '';
  for (let i = 0; i < 8; i++) out += CHECKSUM_CHARSET[Number((checksum >> BigInt(5 * (7 - i))) & 31n)];
  return out;
}

export function withChecksum(desc: string): string {
  return `${desc}#${descriptorChecksum(desc)}`;
}

/** BIP 340 tagged hash. */
function taggedHash(tag: string, data: Uint8Array): Uint8Array {
  const t = sha256(new TextEncoder().encode(tag));
  return sha256(concat(t, t, data));
}

/** BIP 341 key-path-only output key: P + H_TapTweak(P)·G, as an x-only 32-byte key. */
export function taprootOutputKey(internalXOnly: Uint8Array): Uint8Array {
  const tweaked = secp.publicKeyTweakAdd(concat(Uint8Array.of(0x02), internalXOnly), taggedHash('TapTweak', internalXOnly));
  return tweaked.subarray(1);
}

function key(text: string, what: string, xOnlyAllowed: boolean): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromHex(text, what);
  } catch {
    throw new DescriptorError(`${what}: key '${text}' is not hex (extended keys and key origins are not supported here)`);
  }
  if (xOnlyAllowed && bytes.length === 32) {
    if (!secp.isValidPublicKey(concat(Uint8Array.of(0x02), bytes))) throw new DescriptorError(`${what}: x-only key ${text} is not on the curve`);
    return bytes;
  }
  if (bytes.length !== 33 || !secp.isValidPublicKey(bytes)) throw new DescriptorError(`${what}: '${text}' is not a valid compressed public key`);
  return bytes;
}

function inner(desc: string, name: string): string | undefined {
  return desc.startsWith(`${name}(`) && desc.endsWith(')') ? desc.slice(name.length + 1, -1) : undefined;
}

export interface ParsedDescriptor {
  /** The descriptor without checksum, as given. */
  readonly descriptor: string;
  readonly script: Uint8Array;
}

/** Parse one descriptor to the scriptPubKey it describes; a given checksum must match. */
export function parseDescriptor(text: string, net: AddressNetwork): ParsedDescriptor {
  const hashAt = text.indexOf('#');
  const desc = hashAt < 0 ? text : text.slice(0, hashAt);
  if (hashAt >= 0) {
    const given = text.slice(hashAt + 1);
    if (given.length !== 8) throw new DescriptorError(`Expected 8 character checksum, not ${given.length} characters`);
    const expected = descriptorChecksum(desc);
    if (given !== expected) throw new DescriptorError(`Provided checksum '${given}' does not match computed checksum '${expected}'`);
  } else {
    descriptorChecksum(desc); // rejects characters outside the descriptor alphabet
  }
  let arg: string | undefined;
  if ((arg = inner(desc, 'addr')) !== undefined) {
    try {
      return { descriptor: desc, script: addressToScript(arg, net) };
    } catch (e) {
      throw new DescriptorError(`Address is not valid: ${(e as Error).message}`);
    }
  }
  if ((arg = inner(desc, 'raw')) !== undefined) {
    try {
      return { descriptor: desc, script: fromHex(arg, 'raw() script') };
    } catch {
      throw new DescriptorError(`Raw script is not hex: '${arg}'`);
    }
  }
  if ((arg = inner(desc, 'sh')) !== undefined) {
    const w = inner(arg, 'wpkh');
    if (w === undefined) throw new DescriptorError(`sh(): only sh(wpkh(KEY)) is supported here, got '${desc}'`);
    const witnessProgramScript = witnessScript(0, hash160(key(w, 'sh(wpkh())', false)));
    return { descriptor: desc, script: p2shScript(hash160(witnessProgramScript)) };
  }
  if ((arg = inner(desc, 'wpkh')) !== undefined) return { descriptor: desc, script: witnessScript(0, hash160(key(arg, 'wpkh()', false))) };
  if ((arg = inner(desc, 'pkh')) !== undefined) return { descriptor: desc, script: p2pkhScript(hash160(key(arg, 'pkh()', false))) };
  if ((arg = inner(desc, 'pk')) !== undefined) return { descriptor: desc, script: concat(pushData(key(arg, 'pk()', false)), Uint8Array.of(OP_CHECKSIG)) };
  if ((arg = inner(desc, 'tr')) !== undefined) {
    if (arg.includes(',')) throw new DescriptorError(`tr(): script trees are not supported here, got '${desc}'`);
    const k = key(arg, 'tr()', true);
    return { descriptor: desc, script: witnessScript(1, taprootOutputKey(k.length === 33 ? k.subarray(1) : k)) };
  }
  throw new DescriptorError(`'${desc}' is not a supported descriptor (addr, raw, pk, pkh, wpkh, sh(wpkh), tr with hex keys)`);
}

/** InferDescriptor without key information: addr() when the script has an address, pk() for P2PK, raw() otherwise. */
export function inferDescriptor(script: Uint8Array, net: AddressNetwork): string {
  const address = scriptToAddress(script, net);
  if (address !== undefined) return withChecksum(`addr(${address})`);
  if (outputType(script) === 'pubkey') return withChecksum(`pk(${hex(script.subarray(1, script.length - 1))})`);
  return withChecksum(`raw(${hex(script)})`);
}
