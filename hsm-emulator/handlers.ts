// One command frame in, one response frame out. Every failure becomes a status word (device-protocol.md
// §Status words); nothing a client sends can throw past `handleCommand`.
import {
  ApduError,
  CLA,
  decodeCommand,
  decodeRequest,
  encodeResponse,
  encodeResponseData,
  formatPath,
  instructionName,
  PROTOCOL_VERSION,
  SW,
  XPUB_NETWORK,
  type Command,
  type DerivationPath,
  type InstructionName,
  type SignTweak,
  type XpubNetwork,
} from '../bolt/apdu.js';
import { KeyDerivationFailed, type Keyring } from './keyring.js';
import { ecdh, OperationRejected, perCommitmentPointAt, perCommitmentSecretAt, signDigest, signDigestRecoverable, signDigests } from './operations.js';
import type { Screen } from './screen.js';

export const DEVICE_NAME = 'vigil-hsm-emulator';

export interface DeviceContext {
  readonly keyring: Keyring;
  readonly screen: Screen;
}

/** What a handled command yields: the response body and public facts for the log line. */
export interface Handled {
  readonly response: Uint8Array;
  readonly sw: number;
  readonly ins: InstructionName | undefined;
  /** Public details for the log (path, tweak kind, index, reason): never key material. */
  readonly detail: Record<string, string>;
}

type Reply = { data: Uint8Array; detail: Record<string, string> };

async function dispatch(ctx: DeviceContext, name: InstructionName, cmd: Command, signal: AbortSignal): Promise<Reply> {
  switch (name) {
    case 'GET_VERSION':
      decodeRequest(name, cmd);
      return { data: encodeResponseData(name, { protocolVersion: PROTOCOL_VERSION, deviceName: DEVICE_NAME }), detail: {} };
    case 'GET_FINGERPRINT':
      decodeRequest(name, cmd);
      return { data: encodeResponseData(name, { fingerprint: ctx.keyring.fingerprint }), detail: {} };
    case 'GET_PUBLIC_KEY': {
      const { path } = decodeRequest(name, cmd);
      return { data: encodeResponseData(name, { publicKey: ctx.keyring.publicKey(path) }), detail: { path: formatPath(path) } };
    }
    case 'GET_XPUB': {
      const { path } = decodeRequest(name, cmd);
      const network = (Object.keys(XPUB_NETWORK) as XpubNetwork[]).find((n) => XPUB_NETWORK[n] === cmd.p1)!;
      return { data: encodeResponseData(name, { xpub: ctx.keyring.xpub(path, network) }), detail: { path: formatPath(path), network } };
    }
    case 'SIGN': {
      const { path, digest, tweak } = decodeRequest(name, cmd);
      const signature = signDigest(ctx.keyring, path, digest, tweak);
      return { data: encodeResponseData(name, { signature }), detail: { path: formatPath(path), tweak: tweak.kind } };
    }
    case 'SIGN_BATCH': {
      // Every item is read and checked before any is signed; one bad item refuses the batch.
      const { items } = decodeRequest(name, cmd);
      const signatures = signDigests(ctx.keyring, items);
      return { data: encodeResponseData(name, { signatures }), detail: batchDetail(items) };
    }
    case 'SIGN_RECOVERABLE': {
      const { path, digest, tweak } = decodeRequest(name, cmd);
      const sig = signDigestRecoverable(ctx.keyring, path, digest, tweak);
      return { data: encodeResponseData(name, { signature: sig.signature, recovery: sig.recovery }), detail: { path: formatPath(path), tweak: tweak.kind } };
    }
    case 'ECDH': {
      const { path, point } = decodeRequest(name, cmd);
      return { data: encodeResponseData(name, { sharedSecret: ecdh(ctx.keyring, path, point) }), detail: { path: formatPath(path) } };
    }
    case 'PER_COMMITMENT_POINT': {
      const { path, index } = decodeRequest(name, cmd);
      const point = perCommitmentPointAt(ctx.keyring, path, index);
      return { data: encodeResponseData(name, { point }), detail: { path: formatPath(path), index: index.toString() } };
    }
    case 'PER_COMMITMENT_SECRET': {
      const { path, index } = decodeRequest(name, cmd);
      const secret = perCommitmentSecretAt(ctx.keyring, path, index);
      try {
        return { data: encodeResponseData(name, { secret }), detail: { path: formatPath(path), index: index.toString() } };
      } finally {
        secret.fill(0);
      }
    }
    case 'CONFIRM': {
      const { text } = decodeRequest(name, cmd);
      const decision = await ctx.screen.request(text, signal);
      if (decision !== 'approved') throw new ApduError(SW.DENIED_BY_USER, decision === 'cancelled' ? 'cancelled: the connection closed' : 'denied by the user');
      return { data: encodeResponseData(name, {}), detail: { decision } };
    }
  }
}

/** The log line of a SIGN_BATCH: how many, and which paths and tweak kinds (public facts, each once). */
function batchDetail(items: readonly { path: DerivationPath; tweak: SignTweak }[]): Record<string, string> {
  const distinct = (values: string[]): string => [...new Set(values)].join(' ');
  return { items: String(items.length), path: distinct(items.map((i) => formatPath(i.path))), tweak: distinct(items.map((i) => i.tweak.kind)) };
}

/** Handles one command frame body. `signal` aborts when the connection that sent it closes. */
export async function handleCommand(ctx: DeviceContext, body: Uint8Array, signal: AbortSignal): Promise<Handled> {
  let ins: InstructionName | undefined;
  let detail: Record<string, string> = {};
  let sw: number = SW.OK;
  let data: Uint8Array = new Uint8Array(0);
  try {
    const cmd = decodeCommand(body);
    if (cmd.cla !== CLA) throw new ApduError(SW.UNKNOWN_CLA, `CLA 0x${cmd.cla.toString(16).padStart(2, '0')} is not 0x80`);
    ins = instructionName(cmd.ins);
    if (ins === undefined) throw new ApduError(SW.UNKNOWN_INS, `INS 0x${cmd.ins.toString(16).padStart(2, '0')} is not an instruction`);
    ({ data, detail } = await dispatch(ctx, ins, cmd, signal));
  } catch (e) {
    data = new Uint8Array(0);
    if (e instanceof ApduError) sw = e.sw;
    else if (e instanceof OperationRejected || e instanceof KeyDerivationFailed) sw = SW.BAD_DATA;
    else sw = SW.INTERNAL_ERROR;
    // Reasons come from request validation (lengths, ranges, field names) and never carry key material.
    // An internal error's message is logged, not sent: the client gets the bare status word.
    const err = e instanceof Error ? e : new Error(String(e));
    detail = { ...detail, reason: sw === SW.INTERNAL_ERROR ? `internal error: ${err.name}: ${err.message}` : err.message };
    if (sw !== SW.INTERNAL_ERROR && sw !== SW.DENIED_BY_USER) data = reasonBytes(err.message);
  }
  return { response: encodeResponse({ data, sw }), sw, ins, detail };
}

/** An error's reason as printable ASCII, at most 200 bytes (device-protocol.md §Response frame). */
function reasonBytes(reason: string): Uint8Array {
  const ascii = reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  return new TextEncoder().encode(ascii);
}
