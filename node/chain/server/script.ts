// Scripts as the RPC shows them: ops, asm text and output type, after Bitcoin Core's
// src/script/script.cpp (GetOp, GetOpName), src/core_write.cpp (ScriptToAsmStr) and
// src/script/solver.cpp (Solver, GetTxnOutputType).
import { hex } from '../../../bolt/bytes.js';
import { derToCompact } from '../../../bolt/crypto/der.js';

export interface ScriptOp {
  readonly opcode: number;
  /** The pushed bytes, for opcodes 0x00..0x4e. */
  readonly data?: Uint8Array;
}

export interface ParsedScript {
  readonly ops: readonly ScriptOp[];
  /** Set when the script ends inside a push. */
  readonly truncated: boolean;
}

export const OP_0 = 0x00;
export const OP_PUSHDATA1 = 0x4c;
export const OP_PUSHDATA2 = 0x4d;
export const OP_PUSHDATA4 = 0x4e;
export const OP_1NEGATE = 0x4f;
export const OP_1 = 0x51;
export const OP_16 = 0x60;
export const OP_RETURN = 0x6a;
export const OP_DUP = 0x76;
export const OP_EQUAL = 0x87;
export const OP_EQUALVERIFY = 0x88;
export const OP_HASH160 = 0xa9;
export const OP_CHECKSIG = 0xac;
export const OP_CHECKMULTISIG = 0xae;
/** script/script.h MAX_SCRIPT_SIZE: larger output scripts are unspendable. */
export const MAX_SCRIPT_SIZE = 10_000;

export function parseScript(script: Uint8Array): ParsedScript {
  const ops: ScriptOp[] = [];
  let at = 0;
  while (at < script.length) {
    const opcode = script[at++]!;
    if (opcode > OP_PUSHDATA4) {
      ops.push({ opcode });
      continue;
    }
    let size = opcode;
    const lengthBytes = opcode === OP_PUSHDATA1 ? 1 : opcode === OP_PUSHDATA2 ? 2 : opcode === OP_PUSHDATA4 ? 4 : 0;
    if (lengthBytes > 0) {
      if (at + lengthBytes > script.length) return { ops, truncated: true };
      size = 0;
      for (let i = lengthBytes - 1; i >= 0; i--) size = size * 256 + script[at + i]!;
      at += lengthBytes;
    }
    if (at + size > script.length) return { ops, truncated: true };
    ops.push({ opcode, data: script.subarray(at, at + size) });
    at += size;
  }
  return { ops, truncated: false };
}

const NAMES: Record<number, string> = {
  0x4f: '-1', 0x50: 'OP_RESERVED',
  0x61: 'OP_NOP', 0x62: 'OP_VER', 0x63: 'OP_IF', 0x64: 'OP_NOTIF', 0x65: 'OP_VERIF', 0x66: 'OP_VERNOTIF',
  0x67: 'OP_ELSE', 0x68: 'OP_ENDIF', 0x69: 'OP_VERIFY', 0x6a: 'OP_RETURN',
  0x6b: 'OP_TOALTSTACK', 0x6c: 'OP_FROMALTSTACK', 0x6d: 'OP_2DROP', 0x6e: 'OP_2DUP', 0x6f: 'OP_3DUP',
  0x70: 'OP_2OVER', 0x71: 'OP_2ROT', 0x72: 'OP_2SWAP', 0x73: 'OP_IFDUP', 0x74: 'OP_DEPTH', 0x75: 'OP_DROP',
  0x76: 'OP_DUP', 0x77: 'OP_NIP', 0x78: 'OP_OVER', 0x79: 'OP_PICK', 0x7a: 'OP_ROLL', 0x7b: 'OP_ROT',
  0x7c: 'OP_SWAP', 0x7d: 'OP_TUCK',
  0x7e: 'OP_CAT', 0x7f: 'OP_SUBSTR', 0x80: 'OP_LEFT', 0x81: 'OP_RIGHT', 0x82: 'OP_SIZE',
  0x83: 'OP_INVERT', 0x84: 'OP_AND', 0x85: 'OP_OR', 0x86: 'OP_XOR', 0x87: 'OP_EQUAL', 0x88: 'OP_EQUALVERIFY',
  0x89: 'OP_RESERVED1', 0x8a: 'OP_RESERVED2',
  0x8b: 'OP_1ADD', 0x8c: 'OP_1SUB', 0x8d: 'OP_2MUL', 0x8e: 'OP_2DIV', 0x8f: 'OP_NEGATE', 0x90: 'OP_ABS',
  0x91: 'OP_NOT', 0x92: 'OP_0NOTEQUAL', 0x93: 'OP_ADD', 0x94: 'OP_SUB', 0x95: 'OP_MUL', 0x96: 'OP_DIV',
  0x97: 'OP_MOD', 0x98: 'OP_LSHIFT', 0x99: 'OP_RSHIFT', 0x9a: 'OP_BOOLAND', 0x9b: 'OP_BOOLOR',
  0x9c: 'OP_NUMEQUAL', 0x9d: 'OP_NUMEQUALVERIFY', 0x9e: 'OP_NUMNOTEQUAL', 0x9f: 'OP_LESSTHAN',
  0xa0: 'OP_GREATERTHAN', 0xa1: 'OP_LESSTHANOREQUAL', 0xa2: 'OP_GREATERTHANOREQUAL', 0xa3: 'OP_MIN',
  0xa4: 'OP_MAX', 0xa5: 'OP_WITHIN',
  0xa6: 'OP_RIPEMD160', 0xa7: 'OP_SHA1', 0xa8: 'OP_SHA256', 0xa9: 'OP_HASH160', 0xaa: 'OP_HASH256',
  0xab: 'OP_CODESEPARATOR', 0xac: 'OP_CHECKSIG', 0xad: 'OP_CHECKSIGVERIFY', 0xae: 'OP_CHECKMULTISIG',
  0xaf: 'OP_CHECKMULTISIGVERIFY',
  0xb0: 'OP_NOP1', 0xb1: 'OP_CHECKLOCKTIMEVERIFY', 0xb2: 'OP_CHECKSEQUENCEVERIFY', 0xb3: 'OP_NOP4',
  0xb4: 'OP_NOP5', 0xb5: 'OP_NOP6', 0xb6: 'OP_NOP7', 0xb7: 'OP_NOP8', 0xb8: 'OP_NOP9', 0xb9: 'OP_NOP10',
  0xba: 'OP_CHECKSIGADD', 0xff: 'OP_INVALIDOPCODE',
};

/** GetOpName: "0", "1".."16", "-1", "OP_DUP", ..., "OP_UNKNOWN". */
export function opName(opcode: number): string {
  if (opcode === OP_0) return '0';
  if (opcode >= OP_1 && opcode <= OP_16) return String(opcode - OP_1 + 1);
  return NAMES[opcode] ?? 'OP_UNKNOWN';
}

/** CScriptNum decoding of a push of at most 4 bytes (little-endian, sign bit in the top byte). */
function scriptNumValue(data: Uint8Array): bigint {
  if (data.length === 0) return 0n;
  let n = 0n;
  for (let i = data.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(data[i]!);
  const signBit = 0x80n << BigInt(8 * (data.length - 1));
  return (n & signBit) !== 0n ? -(n & ~signBit) : n;
}

/** CScriptNum serialization (minimal), as BIP 34 heights and CLTV/CSV arguments are pushed. */
export function scriptNumBytes(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  if (v === 0n) return new Uint8Array(0);
  const negative = v < 0n;
  if (negative) v = -v;
  const out: number[] = [];
  while (v > 0n) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  if (out[out.length - 1]! & 0x80) out.push(negative ? 0x80 : 0);
  else if (negative) out[out.length - 1]! |= 0x80;
  return Uint8Array.from(out);
}

/** A minimal push of `data` (OP_0, OP_1..16 and OP_1NEGATE are not used for data here). */
export function pushData(data: Uint8Array): Uint8Array {
  const n = data.length;
  const prefix = n < OP_PUSHDATA1 ? [n] : n <= 0xff ? [OP_PUSHDATA1, n] : n <= 0xffff ? [OP_PUSHDATA2, n & 0xff, n >> 8] : [OP_PUSHDATA4, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
  const out = new Uint8Array(prefix.length + n);
  out.set(prefix);
  out.set(data, prefix.length);
  return out;
}

/** `CScript() << n`: OP_0, OP_1..OP_16, OP_1NEGATE or a minimal CScriptNum push. */
export function pushNumber(n: number): Uint8Array {
  if (n === 0) return Uint8Array.of(OP_0);
  if (n === -1) return Uint8Array.of(OP_1NEGATE);
  if (n >= 1 && n <= 16) return Uint8Array.of(OP_1 + n - 1);
  return pushData(scriptNumBytes(n));
}

const SIGHASH_NAMES: Record<number, string> = {
  0x01: 'ALL', 0x02: 'NONE', 0x03: 'SINGLE', 0x81: 'ALL|ANYONECANPAY', 0x82: 'NONE|ANYONECANPAY', 0x83: 'SINGLE|ANYONECANPAY',
};

/** IsValidSignatureEncoding: strict DER (BIP 66) followed by one hash-type byte. */
function isValidSignatureEncoding(sig: Uint8Array): boolean {
  if (sig.length < 9 || sig.length > 73) return false;
  try {
    derToCompact(sig.subarray(0, sig.length - 1));
    return true;
  } catch {
    return false;
  }
}

/**
 * ScriptToAsmStr. With `decodeSighash` (scriptSigs), a push that is a strictly encoded signature
 * shows its hash type as "[ALL]" and so on, as bitcoind does.
 */
export function scriptToAsm(script: Uint8Array, decodeSighash = false): string {
  const { ops, truncated } = parseScript(script);
  const words: string[] = [];
  const unspendable = script.length > 0 && script[0] === OP_RETURN;
  for (const op of ops) {
    if (op.data === undefined) {
      words.push(opName(op.opcode));
      continue;
    }
    if (op.data.length <= 4) {
      words.push(scriptNumValue(op.data).toString());
      continue;
    }
    const sighashName = SIGHASH_NAMES[op.data[op.data.length - 1]!];
    if (decodeSighash && !unspendable && sighashName !== undefined && isValidSignatureEncoding(op.data)) {
      words.push(hex(op.data.subarray(0, op.data.length - 1)) + `[${sighashName}]`);
    } else {
      words.push(hex(op.data));
    }
  }
  if (truncated) words.push('[error]');
  return words.join(' ');
}

export type OutputType =
  | 'nonstandard'
  | 'anchor'
  | 'pubkey'
  | 'pubkeyhash'
  | 'scripthash'
  | 'multisig'
  | 'nulldata'
  | 'witness_v0_keyhash'
  | 'witness_v0_scripthash'
  | 'witness_v1_taproot'
  | 'witness_unknown';

export interface WitnessProgram {
  readonly version: number;
  readonly program: Uint8Array;
}

/** CScript::IsWitnessProgram: a version opcode then one direct push of 2..40 bytes. */
export function witnessProgram(script: Uint8Array): WitnessProgram | undefined {
  if (script.length < 4 || script.length > 42) return undefined;
  const v = script[0]!;
  if (v !== OP_0 && (v < OP_1 || v > OP_16)) return undefined;
  if (script[1]! + 2 !== script.length) return undefined;
  return { version: v === OP_0 ? 0 : v - OP_1 + 1, program: script.subarray(2) };
}

export function isP2sh(script: Uint8Array): boolean {
  return script.length === 23 && script[0] === OP_HASH160 && script[1] === 0x14 && script[22] === OP_EQUAL;
}

export function isP2pkh(script: Uint8Array): boolean {
  return script.length === 25 && script[0] === OP_DUP && script[1] === OP_HASH160 && script[2] === 0x14 && script[23] === OP_EQUALVERIFY && script[24] === OP_CHECKSIG;
}

/** P2A, the "pay to anchor" output (Bitcoin Core 28): OP_1 <0x4e73>. */
export function isPayToAnchor(script: Uint8Array): boolean {
  return script.length === 4 && script[0] === OP_1 && script[1] === 0x02 && script[2] === 0x4e && script[3] === 0x73;
}

/** CScript::IsPushOnly: OP_RESERVED (0x50) counts as a push there too. */
function isPushOnly(ops: readonly ScriptOp[]): boolean {
  return ops.every((op) => op.opcode <= OP_16);
}

/** Solver: the output type of a scriptPubKey. */
export function outputType(script: Uint8Array): OutputType {
  if (isPayToAnchor(script)) return 'anchor';
  const wp = witnessProgram(script);
  if (wp) {
    if (wp.version === 0 && wp.program.length === 20) return 'witness_v0_keyhash';
    if (wp.version === 0 && wp.program.length === 32) return 'witness_v0_scripthash';
    if (wp.version === 1 && wp.program.length === 32) return 'witness_v1_taproot';
    if (wp.version !== 0) return 'witness_unknown';
    return 'nonstandard';
  }
  if (isP2sh(script)) return 'scripthash';
  const parsed = parseScript(script);
  if (parsed.truncated) return 'nonstandard';
  const ops = parsed.ops;
  if (script.length > 0 && script[0] === OP_RETURN && isPushOnly(ops.slice(1))) return 'nulldata';
  if (ops.length === 2 && ops[1]!.opcode === OP_CHECKSIG && (ops[0]!.data?.length === 33 || ops[0]!.data?.length === 65)) return 'pubkey';
  if (isP2pkh(script)) return 'pubkeyhash';
  if (ops.length >= 4 && ops[ops.length - 1]!.opcode === OP_CHECKMULTISIG) {
    const m = ops[0]!.opcode;
    const n = ops[ops.length - 2]!.opcode;
    const keys = ops.slice(1, -2);
    if (m >= OP_1 && m <= OP_16 && n >= OP_1 && n <= OP_16 && keys.length === n - OP_1 + 1 && m <= n && keys.every((k) => k.data?.length === 33 || k.data?.length === 65)) return 'multisig';
  }
  return 'nonstandard';
}

/** CScript::IsUnspendable: OP_RETURN outputs and oversized scripts never enter the UTXO set. */
export function isUnspendable(script: Uint8Array): boolean {
  return (script.length > 0 && script[0] === OP_RETURN) || script.length > MAX_SCRIPT_SIZE;
}
