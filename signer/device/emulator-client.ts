// The signer's side of the device protocol (proto/device-protocol.md) over TCP to `vigil hsm-emulator`.
// One command at a time per connection, as on a USB APDU transport: a confirmation waiting on the
// screen holds this connection, so open a second one for work that must go on meanwhile.
import { connect, type Socket } from 'node:net';
import {
  decodeResponse,
  decodeResponseData,
  encodeRequest,
  formatStatusWord,
  frame,
  FrameSplitter,
  MAX_RESPONSE_BYTES,
  PROTOCOL_VERSION,
  statusWordName,
  signBatches,
  SW,
  XPUB_NETWORK,
  type InstructionName,
  type RequestOf,
  type ResponseOf,
} from '../../bolt/apdu.js';
import { DecodeError } from '../../bolt/codec/errors.js';
import type { ConfirmResult, DerivationPath, Device, RecoverableSignature, SignRequest, SignTweak, XpubNetwork } from './device.js';

/** The device answered a command with a status word other than 9000. */
export class DeviceStatusError extends Error {
  override readonly name = 'DeviceStatusError';
  constructor(
    readonly instruction: InstructionName,
    readonly sw: number,
    /** The device's ASCII reason, when it sent one. */
    readonly reason: string,
  ) {
    super(`device ${instruction}: status ${formatStatusWord(sw)} (${statusWordName(sw)})${reason ? `: ${reason}` : ''}`);
  }
}

/** The connection failed, closed, or carried bytes that are not the protocol. */
export class DeviceConnectionError extends Error {
  override readonly name = 'DeviceConnectionError';
}

export interface EmulatorAddress {
  readonly host?: string;
  readonly port: number;
  /** Give up connecting after this long (default 10 s). Commands themselves have no timeout. */
  readonly connectTimeoutMs?: number;
}

interface Waiter {
  resolve(body: Uint8Array): void;
  reject(e: Error): void;
}

const NO_TWEAK: SignTweak = { kind: 'none' };

export class EmulatorDevice implements Device {
  readonly #socket: Socket;
  readonly #splitter = new FrameSplitter(MAX_RESPONSE_BYTES);
  #waiter: Waiter | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #failure: Error | undefined;
  /** Set once the device answered SIGN_BATCH with UNKNOWN_INS (an older device): sign one at a time. */
  #noBatch = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (e) => this.#fail(new DeviceConnectionError(`device connection: ${e.message}`)));
    socket.on('close', () => this.#fail(new DeviceConnectionError('device connection closed')));
  }

  /** Connects and checks the device speaks this protocol version (GET_VERSION). */
  static async connect(address: EmulatorAddress): Promise<EmulatorDevice> {
    const host = address.host ?? '127.0.0.1';
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port: address.port, noDelay: true });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new DeviceConnectionError(`device at ${host}:${address.port}: no connection after ${address.connectTimeoutMs ?? 10_000} ms`));
      }, address.connectTimeoutMs ?? 10_000);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new DeviceConnectionError(`device at ${host}:${address.port}: ${e.message}`));
      });
    });
    const device = new EmulatorDevice(socket);
    let version: ResponseOf<'GET_VERSION'>;
    try {
      version = await device.version();
    } catch (e) {
      socket.destroy();
      throw e;
    }
    if (version.protocolVersion !== PROTOCOL_VERSION) {
      await device.close();
      throw new DeviceConnectionError(`device "${version.deviceName}" speaks protocol ${version.protocolVersion}, this signer ${PROTOCOL_VERSION}`);
    }
    return device;
  }

  #onData(chunk: Buffer): void {
    const { frames, oversized } = this.#splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    for (const body of frames) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (!waiter) {
        this.#fail(new DeviceConnectionError('device sent a response nobody asked for'));
        return;
      }
      waiter.resolve(body);
    }
    if (oversized !== undefined) this.#fail(new DeviceConnectionError(`device announced a ${oversized}-byte response, at most ${MAX_RESPONSE_BYTES}`));
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#failure);
    this.#socket.destroy();
  }

  /** Sends one command and returns its response data; a status other than 9000 throws DeviceStatusError. */
  #exchange<N extends InstructionName>(name: N, request: RequestOf<N>, p1 = 0): Promise<ResponseOf<N>> {
    const body = encodeRequest(name, request, p1);
    const run = async (): Promise<ResponseOf<N>> => {
      if (this.#failure) throw this.#failure;
      const responseBody = await new Promise<Uint8Array>((resolve, reject) => {
        this.#waiter = { resolve, reject };
        this.#socket.write(frame(body));
      });
      let response;
      try {
        response = decodeResponse(responseBody);
      } catch (e) {
        this.#fail(new DeviceConnectionError(`device ${name}: ${(e as Error).message}`));
        throw this.#failure!;
      }
      if (response.sw !== SW.OK) throw new DeviceStatusError(name, response.sw, asciiReason(response.data));
      try {
        return decodeResponseData(name, response.data);
      } catch (e) {
        if (e instanceof DecodeError) throw new DeviceConnectionError(`device ${name}: malformed response: ${e.message}`);
        throw e;
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  version(): Promise<ResponseOf<'GET_VERSION'>> {
    return this.#exchange('GET_VERSION', {});
  }

  async fingerprint(): Promise<number> {
    return (await this.#exchange('GET_FINGERPRINT', {})).fingerprint;
  }

  async getPublicKey(path: DerivationPath): Promise<Uint8Array> {
    return (await this.#exchange('GET_PUBLIC_KEY', { path })).publicKey;
  }

  async getXpub(path: DerivationPath, network: XpubNetwork = 'mainnet'): Promise<string> {
    return (await this.#exchange('GET_XPUB', { path }, XPUB_NETWORK[network])).xpub;
  }

  async sign(path: DerivationPath, digest: Uint8Array, tweak: SignTweak = NO_TWEAK): Promise<Uint8Array> {
    return (await this.#exchange('SIGN', { path, digest, tweak })).signature;
  }

  async signBatch(requests: readonly SignRequest[]): Promise<Uint8Array[]> {
    const items = requests.map((r) => ({ path: r.path, digest: r.digest, tweak: r.tweak ?? NO_TWEAK }));
    const signatures: Uint8Array[] = [];
    for (const batch of signBatches(items)) {
      if (this.#noBatch) {
        for (const item of batch) signatures.push(await this.sign(item.path, item.digest, item.tweak));
        continue;
      }
      let answer: ResponseOf<'SIGN_BATCH'>;
      try {
        answer = await this.#exchange('SIGN_BATCH', { items: batch });
      } catch (e) {
        if (!(e instanceof DeviceStatusError && e.sw === SW.UNKNOWN_INS)) throw e;
        this.#noBatch = true;
        for (const item of batch) signatures.push(await this.sign(item.path, item.digest, item.tweak));
        continue;
      }
      if (answer.signatures.length !== batch.length) {
        throw new DeviceConnectionError(`device SIGN_BATCH: ${answer.signatures.length} signatures for ${batch.length} requests`);
      }
      signatures.push(...answer.signatures);
    }
    return signatures;
  }

  async signRecoverable(path: DerivationPath, digest: Uint8Array, tweak: SignTweak = NO_TWEAK): Promise<RecoverableSignature> {
    return this.#exchange('SIGN_RECOVERABLE', { path, digest, tweak });
  }

  async ecdh(path: DerivationPath, point: Uint8Array): Promise<Uint8Array> {
    return (await this.#exchange('ECDH', { path, point })).sharedSecret;
  }

  async perCommitmentSecret(path: DerivationPath, index: bigint): Promise<Uint8Array> {
    return (await this.#exchange('PER_COMMITMENT_SECRET', { path, index })).secret;
  }

  async perCommitmentPoint(path: DerivationPath, index: bigint): Promise<Uint8Array> {
    return (await this.#exchange('PER_COMMITMENT_POINT', { path, index })).point;
  }

  async confirm(text: string): Promise<ConfirmResult> {
    try {
      await this.#exchange('CONFIRM', { text });
      return 'approved';
    } catch (e) {
      if (e instanceof DeviceStatusError && e.sw === SW.DENIED_BY_USER) return 'denied';
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.#socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end();
    });
  }
}

function asciiReason(data: Uint8Array): string {
  return String.fromCharCode(...data.subarray(0, 200)).replace(/[^\x20-\x7e]/g, '?');
}
