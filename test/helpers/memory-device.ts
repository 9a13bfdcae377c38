// An in-process Device for fast signer tests: the HSM emulator's own keyring and operations
// (hsm-emulator/keyring.ts, operations.ts) without the TCP server, so keys, tweaks and per-commitment
// secrets are derived exactly as `vigil hsm-emulator` derives them. It counts calls, so tests can check
// what the signer asks the device for, and answers confirmations as the test says.
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { Keyring } from '../../hsm-emulator/keyring.js';
import { ecdh, perCommitmentPointAt, perCommitmentSecretAt, signDigest, signDigestRecoverable, signDigests } from '../../hsm-emulator/operations.js';
import type { ConfirmResult, DerivationPath, Device, RecoverableSignature, SignRequest, SignTweak, XpubNetwork } from '../../signer/device/device.js';

export type DeviceCall = 'fingerprint' | 'getPublicKey' | 'getXpub' | 'sign' | 'signBatch' | 'signRecoverable' | 'ecdh' | 'perCommitmentSecret' | 'perCommitmentPoint' | 'confirm';

const NO_TWEAK: SignTweak = { kind: 'none' };

export class MemoryDevice implements Device {
  readonly #keyring: Keyring;
  readonly calls = new Map<DeviceCall, number>();
  /** Texts shown by confirm(), in order. */
  readonly shown: string[] = [];
  /** How the next confirmations are answered (default: approved). */
  answer: (text: string) => ConfirmResult | Promise<ConfirmResult> = () => 'approved';

  constructor(mnemonic: string) {
    this.#keyring = Keyring.fromMnemonic(mnemonic);
  }

  /** A device whose seed is `byte` repeated (16 bytes of entropy): distinct, reproducible test devices. */
  static fromByte(byte: number): MemoryDevice {
    return new MemoryDevice(entropyToMnemonic(new Uint8Array(16).fill(byte), wordlist));
  }

  static mnemonicOf(byte: number): string {
    return entropyToMnemonic(new Uint8Array(16).fill(byte), wordlist);
  }

  #count(call: DeviceCall): void {
    this.calls.set(call, (this.calls.get(call) ?? 0) + 1);
  }

  count(call: DeviceCall): number {
    return this.calls.get(call) ?? 0;
  }

  async fingerprint(): Promise<number> {
    this.#count('fingerprint');
    return this.#keyring.fingerprint;
  }

  async getPublicKey(path: DerivationPath): Promise<Uint8Array> {
    this.#count('getPublicKey');
    return this.#keyring.publicKey(path);
  }

  async getXpub(path: DerivationPath, network: XpubNetwork = 'mainnet'): Promise<string> {
    this.#count('getXpub');
    return this.#keyring.xpub(path, network);
  }

  async sign(path: DerivationPath, digest: Uint8Array, tweak: SignTweak = NO_TWEAK): Promise<Uint8Array> {
    this.#count('sign');
    return signDigest(this.#keyring, path, digest, tweak);
  }

  /** One call however many signatures (as one SIGN_BATCH round trip), all or nothing as the emulator. */
  async signBatch(requests: readonly SignRequest[]): Promise<Uint8Array[]> {
    this.#count('signBatch');
    return signDigests(this.#keyring, requests.map((r) => ({ path: r.path, digest: r.digest, tweak: r.tweak ?? NO_TWEAK })));
  }

  async signRecoverable(path: DerivationPath, digest: Uint8Array, tweak: SignTweak = NO_TWEAK): Promise<RecoverableSignature> {
    this.#count('signRecoverable');
    return signDigestRecoverable(this.#keyring, path, digest, tweak);
  }

  async ecdh(path: DerivationPath, point: Uint8Array): Promise<Uint8Array> {
    this.#count('ecdh');
    return ecdh(this.#keyring, path, point);
  }

  async perCommitmentSecret(path: DerivationPath, index: bigint): Promise<Uint8Array> {
    this.#count('perCommitmentSecret');
    return perCommitmentSecretAt(this.#keyring, path, index);
  }

  async perCommitmentPoint(path: DerivationPath, index: bigint): Promise<Uint8Array> {
    this.#count('perCommitmentPoint');
    return perCommitmentPointAt(this.#keyring, path, index);
  }

  async confirm(text: string): Promise<ConfirmResult> {
    this.#count('confirm');
    this.shown.push(text);
    return this.answer(text);
  }

  async close(): Promise<void> {
    this.#keyring.wipe();
  }
}
