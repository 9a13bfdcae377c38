// The device's keys: a BIP32 tree from the BIP39 seed. Private keys leave this module only inside
// `withPrivateKey`, as a copy that is wiped when the callback returns; nothing here returns one.
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { formatPath, type DerivationPath, type XpubNetwork } from '../bolt/apdu.js';

/** BIP32 serialisation version bytes. */
const VERSIONS: Record<XpubNetwork, { private: number; public: number }> = {
  mainnet: { private: 0x0488ade4, public: 0x0488b21e }, // xprv / xpub
  testnet: { private: 0x04358394, public: 0x043587cf }, // tprv / tpub
};

/** Derived nodes kept for reuse; a channel signs at a handful of paths over and over. */
const CACHE_LIMIT = 1024;

export class KeyDerivationFailed extends Error {
  override readonly name = 'KeyDerivationFailed';
}

export class Keyring {
  #master: HDKey | undefined;
  readonly #cache = new Map<string, HDKey>();
  /** BIP32 fingerprint of the master key (first 4 bytes of HASH160 of its public key). */
  readonly fingerprint: number;

  private constructor(master: HDKey) {
    this.#master = master;
    this.fingerprint = master.fingerprint;
  }

  /** BIP39 seed (PBKDF2 of the mnemonic, empty BIP39 passphrase) -> BIP32 master key. */
  static fromMnemonic(mnemonic: string): Keyring {
    const seed = mnemonicToSeedSync(mnemonic, '');
    try {
      return new Keyring(HDKey.fromMasterSeed(seed));
    } finally {
      seed.fill(0);
    }
  }

  #node(path: DerivationPath): HDKey {
    const master = this.#master;
    if (!master) throw new KeyDerivationFailed('the keyring was wiped');
    const key = formatPath(path);
    const hit = this.#cache.get(key);
    if (hit) return hit;
    let node = master;
    try {
      for (const index of path) node = node.deriveChild(index);
    } catch (e) {
      // BIP32: an index whose child key is invalid (probability < 2^-127); the caller picks another.
      throw new KeyDerivationFailed(`${key}: ${(e as Error).message}`);
    }
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, node);
    return node;
  }

  publicKey(path: DerivationPath): Uint8Array {
    return Uint8Array.from(this.#node(path).publicKey!);
  }

  /** The extended public key at `path` with the network's version bytes. Never an xprv. */
  xpub(path: DerivationPath, network: XpubNetwork): string {
    const node = this.#node(path);
    const pub = new HDKey({
      versions: VERSIONS[network],
      depth: node.depth,
      index: node.index,
      parentFingerprint: node.parentFingerprint,
      chainCode: node.chainCode!,
      publicKey: node.publicKey!,
    });
    return pub.publicExtendedKey;
  }

  /** Runs `use` with a copy of the private key at `path`, wiped afterwards. `use` must not keep it. */
  withPrivateKey<T>(path: DerivationPath, use: (privateKey: Uint8Array) => T): T {
    const key = Uint8Array.from(this.#node(path).privateKey!);
    try {
      return use(key);
    } finally {
      key.fill(0);
    }
  }

  /** Forgets every key (on shutdown). */
  wipe(): void {
    for (const node of this.#cache.values()) node.wipePrivateData();
    this.#cache.clear();
    this.#master?.wipePrivateData();
    this.#master = undefined;
  }
}
