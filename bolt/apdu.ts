// The device protocol's bytes (proto/device-protocol.md): length-prefixed APDU frames and the data
// layout of every instruction, declared once and used by both ends (the signer's client and the
// HSM emulator). Pure: no I/O, no keys; limits are checked where bytes are read.
import { array, arrayRest, struct } from './codec/compound.js';
import { DecodeError, EncodeError } from './codec/errors.js';
import type { Reader, Writer } from './codec/io.js';
import { bytes, decodeWith, encodeWith, point, u32, u8, type Codec } from './codec/primitives.js';

// ---- framing (device-protocol.md §Framing) ----

/** Bytes of the big-endian length prefix in front of every frame, in both directions. */
export const LENGTH_PREFIX_BYTES = 4;
/** CLA INS P1 P2 Lc(2): the command header. */
export const COMMAND_HEADER_BYTES = 6;
/** The largest command data (Lc) a device accepts. */
export const MAX_DATA_BYTES = 4096;
/** The largest command frame body; a longer length prefix closes the connection. */
export const MAX_COMMAND_BYTES = COMMAND_HEADER_BYTES + MAX_DATA_BYTES;
/** The largest response frame body: data plus SW1 SW2. */
export const MAX_RESPONSE_BYTES = MAX_DATA_BYTES + 2;
/** The one class byte the protocol defines (ISO 7816-4 proprietary class). */
export const CLA = 0x80;

/** device-protocol.md §Status words. */
export const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  DENIED_BY_USER: 0x6985,
  BAD_DATA: 0x6a80,
  WRONG_P1P2: 0x6b00,
  UNKNOWN_INS: 0x6d00,
  UNKNOWN_CLA: 0x6e00,
  INTERNAL_ERROR: 0x6f00,
} as const;
export type StatusWordName = keyof typeof SW;

export function statusWordName(sw: number): string {
  for (const [name, value] of Object.entries(SW)) if (value === sw) return name;
  return 'UNKNOWN_STATUS';
}

/** A four-hex-digit status word, as the spec writes it: `6a80`. */
export function formatStatusWord(sw: number): string {
  return sw.toString(16).padStart(4, '0');
}

/** Puts the 4-byte big-endian length in front of a frame body. */
export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, LENGTH_PREFIX_BYTES);
  return out;
}

/** What FrameSplitter.push yields: whole frame bodies, then `oversized` when a prefix exceeded the limit. */
export interface SplitResult {
  readonly frames: Uint8Array[];
  /** The length a prefix announced when it was above the limit; the stream cannot be resynchronised. */
  readonly oversized: number | undefined;
}

/**
 * Cuts a byte stream into frame bodies. Holds at most one partial frame (bounded by `maxBody`).
 * After an oversized prefix it yields nothing more: the caller must close the connection.
 */
export class FrameSplitter {
  readonly #maxBody: number;
  #pending: Uint8Array = new Uint8Array(0);
  #broken = false;

  constructor(maxBody: number) {
    this.#maxBody = maxBody;
  }

  /** Bytes received but not yet part of a whole frame. */
  get buffered(): number {
    return this.#pending.length;
  }

  push(chunk: Uint8Array): SplitResult {
    const frames: Uint8Array[] = [];
    if (this.#broken) return { frames, oversized: undefined };
    const buf = this.#pending.length === 0 ? chunk : joinBytes(this.#pending, chunk);
    let at = 0;
    while (buf.length - at >= LENGTH_PREFIX_BYTES) {
      const length = new DataView(buf.buffer, buf.byteOffset + at, LENGTH_PREFIX_BYTES).getUint32(0, false);
      if (length > this.#maxBody) {
        this.#broken = true;
        this.#pending = new Uint8Array(0);
        return { frames, oversized: length };
      }
      if (buf.length - at - LENGTH_PREFIX_BYTES < length) break;
      frames.push(buf.slice(at + LENGTH_PREFIX_BYTES, at + LENGTH_PREFIX_BYTES + length));
      at += LENGTH_PREFIX_BYTES + length;
    }
    this.#pending = buf.slice(at);
    return { frames, oversized: undefined };
  }
}

function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// ---- command and response APDUs (device-protocol.md §Command frame, §Response frame) ----

export interface Command {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
}

export interface Response {
  readonly data: Uint8Array;
  readonly sw: number;
}

/** A command frame the device cannot act on: the status word it answers with, and why. */
export class ApduError extends Error {
  override readonly name = 'ApduError';
  constructor(
    readonly sw: number,
    message: string,
  ) {
    super(message);
  }
}

function checkByte(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new EncodeError(`${what} must be a byte, got ${v}`);
}

/** CLA INS P1 P2 Lc(u16be) data, without the length prefix. */
export function encodeCommand(cmd: Command): Uint8Array {
  checkByte('CLA', cmd.cla);
  checkByte('INS', cmd.ins);
  checkByte('P1', cmd.p1);
  checkByte('P2', cmd.p2);
  if (cmd.data.length > MAX_DATA_BYTES) throw new EncodeError(`command data is ${cmd.data.length} bytes, at most ${MAX_DATA_BYTES}`);
  const out = new Uint8Array(COMMAND_HEADER_BYTES + cmd.data.length);
  out[0] = cmd.cla;
  out[1] = cmd.ins;
  out[2] = cmd.p1;
  out[3] = cmd.p2;
  out[4] = cmd.data.length >>> 8;
  out[5] = cmd.data.length & 0xff;
  out.set(cmd.data, COMMAND_HEADER_BYTES);
  return out;
}

/** Reads a command frame body; a header or Lc that does not fit the body is WRONG_LENGTH. */
export function decodeCommand(body: Uint8Array): Command {
  if (body.length < COMMAND_HEADER_BYTES) {
    throw new ApduError(SW.WRONG_LENGTH, `command frame is ${body.length} bytes, the header alone is ${COMMAND_HEADER_BYTES}`);
  }
  const lc = (body[4]! << 8) | body[5]!;
  if (lc > MAX_DATA_BYTES) throw new ApduError(SW.WRONG_LENGTH, `Lc ${lc} exceeds the ${MAX_DATA_BYTES}-byte limit`);
  if (body.length !== COMMAND_HEADER_BYTES + lc) {
    throw new ApduError(SW.WRONG_LENGTH, `Lc says ${lc} data bytes, the frame carries ${body.length - COMMAND_HEADER_BYTES}`);
  }
  return { cla: body[0]!, ins: body[1]!, p1: body[2]!, p2: body[3]!, data: body.slice(COMMAND_HEADER_BYTES) };
}

/** data SW1 SW2, without the length prefix. */
export function encodeResponse(res: Response): Uint8Array {
  if (!Number.isInteger(res.sw) || res.sw < 0 || res.sw > 0xffff) throw new EncodeError(`status word out of range: ${res.sw}`);
  if (res.data.length > MAX_DATA_BYTES) throw new EncodeError(`response data is ${res.data.length} bytes, at most ${MAX_DATA_BYTES}`);
  const out = new Uint8Array(res.data.length + 2);
  out.set(res.data, 0);
  out[res.data.length] = res.sw >>> 8;
  out[res.data.length + 1] = res.sw & 0xff;
  return out;
}

export function decodeResponse(body: Uint8Array): Response {
  if (body.length < 2) throw new DecodeError('short-read', `response frame is ${body.length} bytes, a status word needs 2`);
  const n = body.length - 2;
  return { data: body.slice(0, n), sw: (body[n]! << 8) | body[n + 1]! };
}

// ---- data fields (device-protocol.md §Data types) ----

/** BIP32 derivation path: each element a u32, hardened when >= 2^31. */
export type DerivationPath = readonly number[];
/** Deepest path a device derives (as Ledger's Bitcoin app). */
export const MAX_PATH_DEPTH = 10;
export const HARDENED = 0x80000000;

/** `u8 depth | depth × u32be`. */
export const derivationPath: Codec<DerivationPath> = {
  type: 'path',
  fixedSize: undefined,
  read(r) {
    const depth = r.u8();
    if (depth > MAX_PATH_DEPTH) throw new DecodeError('invalid-value', `path has ${depth} elements, at most ${MAX_PATH_DEPTH}`);
    const out: number[] = [];
    for (let i = 0; i < depth; i++) out.push(r.u32());
    return out;
  },
  write(w, v) {
    if (!Array.isArray(v)) throw new EncodeError('path must be an array of u32');
    if (v.length > MAX_PATH_DEPTH) throw new EncodeError(`path has ${v.length} elements, at most ${MAX_PATH_DEPTH}`);
    w.u8(v.length);
    v.forEach((n, i) => {
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new EncodeError(`path[${i}] is not a u32: ${n}`);
      w.u32(n);
    });
  },
};

/** `m/1017'/0'/3` for logs and messages: paths are public data. */
export function formatPath(path: DerivationPath): string {
  return ['m', ...path.map((n) => (n >= HARDENED ? `${n - HARDENED}'` : String(n)))].join('/');
}

/**
 * How the key at a path is changed before signing. BOLT 3 §Key Derivation:
 * - `add`: privkey = basepoint_secret + tweak, where the signer computed tweak = SHA256(per_commitment_point || basepoint);
 * - `revocation`: the revocation privkey from revocation_basepoint_secret (the key at the path) and the
 *   counterparty's per_commitment_secret.
 */
export type SignTweak =
  | { readonly kind: 'none' }
  | { readonly kind: 'add'; readonly tweak: Uint8Array }
  | { readonly kind: 'revocation'; readonly perCommitmentSecret: Uint8Array };

/** Tweak kind bytes (device-protocol.md §Data types). */
export const TWEAK_KIND = { none: 0x00, add: 0x01, revocation: 0x02 } as const;

/** `u8 kind`, then 32 bytes for `add` and `revocation`. */
export const signTweak: Codec<SignTweak> = {
  type: 'tweak',
  fixedSize: undefined,
  read(r) {
    const kind = r.u8();
    switch (kind) {
      case TWEAK_KIND.none:
        return { kind: 'none' };
      case TWEAK_KIND.add:
        return { kind: 'add', tweak: r.bytes(32) };
      case TWEAK_KIND.revocation:
        return { kind: 'revocation', perCommitmentSecret: r.bytes(32) };
      default:
        throw new DecodeError('invalid-value', `unknown tweak kind ${kind} (0 none, 1 add, 2 revocation)`);
    }
  },
  write(w, v) {
    const scalar = (b: Uint8Array, what: string): void => {
      if (!(b instanceof Uint8Array) || b.length !== 32) throw new EncodeError(`${what} must be 32 bytes`);
      w.bytes(b);
    };
    switch (v.kind) {
      case 'none':
        w.u8(TWEAK_KIND.none);
        return;
      case 'add':
        w.u8(TWEAK_KIND.add);
        scalar(v.tweak, 'add tweak');
        return;
      case 'revocation':
        w.u8(TWEAK_KIND.revocation);
        scalar(v.perCommitmentSecret, 'per_commitment_secret');
        return;
    }
  },
};

/** BOLT 3 §Per-commitment Secret Requirements: indexes are 48 bits, carried as a u64be. */
export const MAX_COMMITMENT_INDEX = 2n ** 48n - 1n;
export const commitmentIndex: Codec<bigint> = {
  type: 'commitment_index',
  fixedSize: 8,
  read(r: Reader) {
    const v = r.u64();
    if (v > MAX_COMMITMENT_INDEX) throw new DecodeError('invalid-value', `index ${v} exceeds 48 bits`);
    return v;
  },
  write(w: Writer, v) {
    if (typeof v !== 'bigint' || v < 0n || v > MAX_COMMITMENT_INDEX) throw new EncodeError(`commitment index out of range: ${v}`);
    w.u64(v);
  },
};

/** Longest confirmation text, in UTF-8 bytes. */
export const MAX_CONFIRM_TEXT_BYTES = 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The screen text: every remaining byte, strict UTF-8, not empty, no control characters but newline
 * (a screen cannot show them, and they would let a caller forge lines in a console).
 */
export const screenText: Codec<string> = {
  type: 'utf8_text',
  fixedSize: undefined,
  read(r) {
    const raw = r.rest();
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      throw new DecodeError('invalid-value', 'confirmation text is not valid UTF-8');
    }
    const problem = screenTextProblem(raw.length, text);
    if (problem !== undefined) throw new DecodeError('invalid-value', problem);
    return text;
  },
  write(w, v) {
    const raw = new TextEncoder().encode(v);
    const problem = screenTextProblem(raw.length, v);
    if (problem !== undefined) throw new EncodeError(problem);
    w.bytes(raw);
  },
};

/** Why a text cannot go on the screen, or undefined when it can. */
export function screenTextProblem(utf8Length: number, text: string): string | undefined {
  if (utf8Length === 0) return 'confirmation text is empty';
  if (utf8Length > MAX_CONFIRM_TEXT_BYTES) return `confirmation text is ${utf8Length} bytes, at most ${MAX_CONFIRM_TEXT_BYTES}`;
  const bad = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/u.exec(text);
  if (bad) return `confirmation text holds control character U+${bad[0].codePointAt(0)!.toString(16).padStart(4, '0')}`;
  return undefined;
}

/** Printable ASCII, every remaining byte (xpub strings, the device name). */
export const asciiRest: Codec<string> = {
  type: 'ascii',
  fixedSize: undefined,
  read(r) {
    const raw = r.rest();
    for (const b of raw) if (b < 0x20 || b > 0x7e) throw new DecodeError('invalid-value', `byte ${b} is not printable ASCII`);
    return String.fromCharCode(...raw);
  },
  write(w, v) {
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 0x20 || c > 0x7e) throw new EncodeError(`character ${c} is not printable ASCII`);
      w.u8(c);
    }
  },
};

const empty: Codec<Record<string, never>> = struct({}, 'empty');

/** 65 bytes: r || s (low-S) then the recovery id 0..3, the layout BOLT 11 signatures use. */
export const recoverableSignature: Codec<{ signature: Uint8Array; recovery: number }> = {
  type: 'recoverable_signature',
  fixedSize: 65,
  read(r) {
    const signature = r.bytes(64);
    const recovery = r.u8();
    if (recovery > 3) throw new DecodeError('invalid-value', `recovery id ${recovery} is not 0..3`);
    return { signature, recovery };
  },
  write(w, v) {
    if (v.signature.length !== 64) throw new EncodeError(`signature must be 64 bytes, got ${v.signature.length}`);
    if (!Number.isInteger(v.recovery) || v.recovery < 0 || v.recovery > 3) throw new EncodeError(`recovery id ${v.recovery} is not 0..3`);
    w.bytes(v.signature);
    w.u8(v.recovery);
  },
};

/** One signature of a SIGN_BATCH: the same fields as a SIGN request. */
export interface SignItem {
  readonly path: DerivationPath;
  readonly digest: Uint8Array;
  readonly tweak: SignTweak;
}

/** Most signatures in one SIGN_BATCH: 64 × 64 bytes fill the 4096-byte response exactly. */
export const MAX_SIGN_BATCH = MAX_DATA_BYTES / 64;

/** SIGN_BATCH's `u8 count`: 1..MAX_SIGN_BATCH. */
const batchCount: Codec<number> = {
  type: 'u8',
  fixedSize: 1,
  read(r) {
    const n = r.u8();
    if (n < 1 || n > MAX_SIGN_BATCH) throw new DecodeError('invalid-value', `batch of ${n} signatures, 1..${MAX_SIGN_BATCH} allowed`);
    return n;
  },
  write(w, n) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_SIGN_BATCH) throw new EncodeError(`batch of ${n} signatures, 1..${MAX_SIGN_BATCH} allowed`);
    w.u8(n);
  },
};

/** Bytes one item takes in a SIGN_BATCH request: path (1 + 4 per element), digest 32, tweak 1 or 33. */
export function signItemBytes(item: SignItem): number {
  return 1 + 4 * item.path.length + 32 + (item.tweak.kind === 'none' ? 1 : 33);
}

/**
 * Cuts a list of signatures into SIGN_BATCH requests, in order: each at most MAX_SIGN_BATCH items and
 * MAX_DATA_BYTES of data (the count byte included). An empty list gives no batch.
 */
export function signBatches(items: readonly SignItem[]): SignItem[][] {
  const batches: SignItem[][] = [];
  let current: SignItem[] = [];
  let size = 1;
  for (const item of items) {
    const n = signItemBytes(item);
    if (current.length > 0 && (current.length === MAX_SIGN_BATCH || size + n > MAX_DATA_BYTES)) {
      batches.push(current);
      current = [];
      size = 1;
    }
    current.push(item);
    size += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

// ---- the instruction table (device-protocol.md §Instructions) ----

/** GET_XPUB P1: which BIP32 version bytes the extended key carries. */
export const XPUB_NETWORK = { mainnet: 0x00, testnet: 0x01 } as const;
export type XpubNetwork = keyof typeof XPUB_NETWORK;

interface Instruction<Req, Res> {
  readonly ins: number;
  readonly request: Codec<Req>;
  readonly response: Codec<Res>;
  /** Allowed P1 values; P2 is always 0. */
  readonly p1: readonly number[];
}

function instruction<Req, Res>(ins: number, request: Codec<Req>, response: Codec<Res>, p1: readonly number[] = [0]): Instruction<Req, Res> {
  return { ins, request, response, p1 };
}

const digest = bytes(32, 'digest');
const signature = bytes(64, 'signature');
const signItem = struct({ path: derivationPath, digest, tweak: signTweak }, 'sign_item');

/** Every instruction: its INS byte, request data and response data. P1 = P2 = 0 unless listed. */
export const INSTRUCTIONS = {
  GET_VERSION: instruction(0x01, empty, struct({ protocolVersion: u8, deviceName: asciiRest })),
  GET_FINGERPRINT: instruction(0x02, empty, struct({ fingerprint: u32 })),
  GET_PUBLIC_KEY: instruction(0x10, struct({ path: derivationPath }), struct({ publicKey: point })),
  GET_XPUB: instruction(0x11, struct({ path: derivationPath }), struct({ xpub: asciiRest }), Object.values(XPUB_NETWORK)),
  SIGN: instruction(0x20, struct({ path: derivationPath, digest, tweak: signTweak }), struct({ signature })),
  SIGN_RECOVERABLE: instruction(0x21, struct({ path: derivationPath, digest, tweak: signTweak }), recoverableSignature),
  // `u8 count` then count × (path ‖ digest ‖ tweak); the answer is count × 64-byte signature, in order.
  SIGN_BATCH: instruction(0x22, struct({ items: array(batchCount, signItem) }), struct({ signatures: arrayRest(signature) })),
  ECDH: instruction(0x30, struct({ path: derivationPath, point }), struct({ sharedSecret: bytes(32, 'shared_secret') })),
  PER_COMMITMENT_POINT: instruction(0x40, struct({ path: derivationPath, index: commitmentIndex }), struct({ point })),
  PER_COMMITMENT_SECRET: instruction(
    0x41,
    struct({ path: derivationPath, index: commitmentIndex }),
    struct({ secret: bytes(32, 'per_commitment_secret') }),
  ),
  CONFIRM: instruction(0x50, struct({ text: screenText }), empty),
} as const;

export type InstructionName = keyof typeof INSTRUCTIONS;
export type RequestOf<N extends InstructionName> = (typeof INSTRUCTIONS)[N] extends Instruction<infer Req, unknown> ? Req : never;
export type ResponseOf<N extends InstructionName> = (typeof INSTRUCTIONS)[N] extends Instruction<unknown, infer Res> ? Res : never;

/** The protocol version GET_VERSION reports; bumped on any incompatible change to this file. */
export const PROTOCOL_VERSION = 1;

const byIns = new Map<number, InstructionName>(
  (Object.keys(INSTRUCTIONS) as InstructionName[]).map((name) => [INSTRUCTIONS[name].ins, name]),
);

/** The instruction an INS byte names, or undefined (the device answers UNKNOWN_INS). */
export function instructionName(ins: number): InstructionName | undefined {
  return byIns.get(ins);
}

/** The command frame body (without the length prefix) for one instruction. */
export function encodeRequest<N extends InstructionName>(name: N, request: RequestOf<N>, p1 = 0): Uint8Array {
  const def = INSTRUCTIONS[name] as unknown as Instruction<RequestOf<N>, unknown>;
  if (!def.p1.includes(p1)) throw new EncodeError(`${name}: P1 ${p1} is not one of ${def.p1.join(', ')}`);
  return encodeCommand({ cla: CLA, ins: def.ins, p1, p2: 0, data: encodeWith(def.request, request) });
}

/** Reads a command's data for `name`; a bad layout is BAD_DATA, naming the field. */
export function decodeRequest<N extends InstructionName>(name: N, cmd: Command): RequestOf<N> {
  const def = INSTRUCTIONS[name] as unknown as Instruction<RequestOf<N>, unknown>;
  if (!def.p1.includes(cmd.p1) || cmd.p2 !== 0) {
    throw new ApduError(SW.WRONG_P1P2, `${name}: P1 ${cmd.p1} P2 ${cmd.p2} not allowed (P1 ${def.p1.join('|')}, P2 0)`);
  }
  try {
    return decodeWith(def.request, cmd.data);
  } catch (e) {
    if (e instanceof DecodeError) throw new ApduError(SW.BAD_DATA, `${name}: ${e.message}`);
    throw e;
  }
}

export function encodeResponseData<N extends InstructionName>(name: N, response: ResponseOf<N>): Uint8Array {
  return encodeWith(INSTRUCTIONS[name].response as unknown as Codec<ResponseOf<N>>, response);
}

export function decodeResponseData<N extends InstructionName>(name: N, data: Uint8Array): ResponseOf<N> {
  return decodeWith(INSTRUCTIONS[name].response as unknown as Codec<ResponseOf<N>>, data);
}
