// Regtest addresses: base58check P2PKH/P2SH (version bytes 0x6f/0xc4) and segwit addresses with
// the "bcrt" prefix (BIP 173 bech32 for version 0, BIP 350 bech32m for versions 1..16).
// Bitcoin Core: src/key_io.cpp (DecodeDestination, EncodeDestination), src/kernel/chainparams.cpp.
import { bech32, bech32m, createBase58check } from '@scure/base';
import { sha256 } from '../../../bolt/crypto/hash.js';
import { isP2pkh, isP2sh, OP_0, OP_1, OP_CHECKSIG, OP_DUP, OP_EQUAL, OP_EQUALVERIFY, OP_HASH160, witnessProgram } from './script.js';

export interface AddressNetwork {
  readonly bech32Hrp: string;
  readonly pubKeyHashPrefix: number;
  readonly scriptHashPrefix: number;
}

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

const base58check = createBase58check(sha256);

export function p2pkhScript(hash: Uint8Array): Uint8Array {
  return Uint8Array.of(OP_DUP, OP_HASH160, 0x14, ...hash, OP_EQUALVERIFY, OP_CHECKSIG);
}

export function p2shScript(hash: Uint8Array): Uint8Array {
  return Uint8Array.of(OP_HASH160, 0x14, ...hash, OP_EQUAL);
}

export function witnessScript(version: number, program: Uint8Array): Uint8Array {
  return Uint8Array.of(version === 0 ? OP_0 : OP_1 + version - 1, program.length, ...program);
}

/** The scriptPubKey an address pays to; throws AddressError saying why the address is invalid. */
export function addressToScript(address: string, net: AddressNetwork): Uint8Array {
  const lower = address.toLowerCase();
  if (lower.startsWith(net.bech32Hrp + '1')) {
    let decoded: { prefix: string; words: number[] } | undefined;
    let variant: 'bech32' | 'bech32m' = 'bech32';
    try {
      decoded = bech32.decode(address as `${string}1${string}`);
    } catch {
      try {
        decoded = bech32m.decode(address as `${string}1${string}`);
        variant = 'bech32m';
      } catch (e) {
        throw new AddressError(`invalid bech32/bech32m address ${address}: ${(e as Error).message}`);
      }
    }
    if (decoded.prefix !== net.bech32Hrp) throw new AddressError(`address ${address} has prefix ${decoded.prefix}, expected ${net.bech32Hrp}`);
    const [version, ...rest] = decoded.words;
    if (version === undefined || version > 16) throw new AddressError(`address ${address}: invalid witness version ${version}`);
    let program: Uint8Array;
    try {
      program = bech32.fromWords(rest);
    } catch (e) {
      throw new AddressError(`address ${address}: invalid witness program padding (${(e as Error).message})`);
    }
    if (version === 0 && variant !== 'bech32') throw new AddressError(`address ${address}: version 0 witness address must use bech32, not bech32m`);
    if (version !== 0 && variant !== 'bech32m') throw new AddressError(`address ${address}: version ${version} witness address must use bech32m, not bech32`);
    if (version === 0 && program.length !== 20 && program.length !== 32) throw new AddressError(`address ${address}: version 0 witness program must be 20 or 32 bytes, got ${program.length}`);
    if (program.length < 2 || program.length > 40) throw new AddressError(`address ${address}: witness program must be 2 to 40 bytes, got ${program.length}`);
    return witnessScript(version, program);
  }
  let payload: Uint8Array;
  try {
    payload = base58check.decode(address);
  } catch (e) {
    throw new AddressError(`invalid address ${JSON.stringify(address)}: neither a ${net.bech32Hrp}1 segwit address nor valid base58check (${(e as Error).message})`);
  }
  if (payload.length !== 21) throw new AddressError(`invalid address ${address}: base58 payload of ${payload.length} bytes, expected 21`);
  const hash = payload.subarray(1);
  if (payload[0] === net.pubKeyHashPrefix) return p2pkhScript(hash);
  if (payload[0] === net.scriptHashPrefix) return p2shScript(hash);
  throw new AddressError(`invalid address ${address}: version byte 0x${payload[0]!.toString(16)} is not regtest P2PKH (0x${net.pubKeyHashPrefix.toString(16)}) or P2SH (0x${net.scriptHashPrefix.toString(16)})`);
}

/** The address of a scriptPubKey, or undefined for scripts that have none (OP_RETURN, bare multisig, ...). */
export function scriptToAddress(script: Uint8Array, net: AddressNetwork): string | undefined {
  if (isP2pkh(script)) return base58check.encode(Uint8Array.of(net.pubKeyHashPrefix, ...script.subarray(3, 23)));
  if (isP2sh(script)) return base58check.encode(Uint8Array.of(net.scriptHashPrefix, ...script.subarray(2, 22)));
  const wp = witnessProgram(script);
  if (!wp) return undefined;
  if (wp.version === 0 && wp.program.length !== 20 && wp.program.length !== 32) return undefined;
  const words = [wp.version, ...bech32.toWords(wp.program)];
  return wp.version === 0 ? bech32.encode(net.bech32Hrp, words) : bech32m.encode(net.bech32Hrp, words);
}
