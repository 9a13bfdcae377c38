// scriptPubKey -> address text, for the signer's NewAddress answer and for the destinations the policy
// and the audit log name (BIP 173/350 segwit, base58check P2PKH/P2SH; anything else as raw script hex).
import { bech32, bech32m, createBase58check } from '@scure/base';
import { concat, hex } from '../../bolt/bytes.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import type { SignerNetwork } from '../keys.js';

const base58check = createBase58check(sha256);

const PARAMS: Record<SignerNetwork, { hrp: string; p2pkh: number; p2sh: number }> = {
  bitcoin: { hrp: 'bc', p2pkh: 0x00, p2sh: 0x05 },
  testnet: { hrp: 'tb', p2pkh: 0x6f, p2sh: 0xc4 },
  signet: { hrp: 'tb', p2pkh: 0x6f, p2sh: 0xc4 },
  regtest: { hrp: 'bcrt', p2pkh: 0x6f, p2sh: 0xc4 },
};

/** The segwit program of OP_n <2..40 bytes>, or null. */
function witnessProgram(script: Uint8Array): { version: number; program: Uint8Array } | null {
  if (script.length < 4 || script.length > 42) return null;
  const op = script[0]!;
  const version = op === 0x00 ? 0 : op >= 0x51 && op <= 0x60 ? op - 0x50 : -1;
  if (version < 0 || script[1] !== script.length - 2) return null;
  const program = script.subarray(2);
  if (version === 0 && program.length !== 20 && program.length !== 32) return null;
  return { version, program };
}

/** The address a scriptPubKey pays to on `network`, or `script:<hex>` when it has none. */
export function scriptToAddress(script: Uint8Array, network: SignerNetwork): string {
  const p = PARAMS[network];
  const w = witnessProgram(script);
  if (w !== null) {
    const words = [w.version, ...bech32.toWords(w.program)];
    return w.version === 0 ? bech32.encode(p.hrp, words) : bech32m.encode(p.hrp, words);
  }
  // OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
  if (script.length === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 0x14 && script[23] === 0x88 && script[24] === 0xac) {
    return base58check.encode(concat(Uint8Array.of(p.p2pkh), script.subarray(3, 23)));
  }
  // OP_HASH160 <20> OP_EQUAL
  if (script.length === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87) {
    return base58check.encode(concat(Uint8Array.of(p.p2sh), script.subarray(2, 22)));
  }
  return `script:${hex(script)}`;
}
