// The signer's on-chain wallet keys (BIP 84 P2WPKH, signer/keys.ts) and the classification of a
// destination script: our own wallet, the policy allowlist (addresses, and addresses of allowlisted
// xpubs), or unknown (DESIGN invariant 4).
import { HDKey } from '@scure/bip32';
import { hex } from '../../bolt/bytes.js';
import { p2wpkh } from '../../bolt/bolt3/index.js';
import type { PolicyConfig } from '../../policy/index.js';
import type { SignerNetwork, WalletChain } from '../keys.js';
import type { WalletKeyRecord } from '../store/records.js';

/**
 * Addresses of an allowlisted xpub the signer recognises: P2WPKH at <xpub>/0/i and <xpub>/1/i for
 * i below this bound (a hardware wallet account's receive and change chains, BIP 84 layout).
 */
export const XPUB_SCAN_LIMIT = 1000;

const XPUB_VERSIONS: Record<SignerNetwork, { private: number; public: number }> = {
  bitcoin: { private: 0x0488ade4, public: 0x0488b21e },
  testnet: { private: 0x04358394, public: 0x043587cf },
  signet: { private: 0x04358394, public: 0x043587cf },
  regtest: { private: 0x04358394, public: 0x043587cf },
};

export type Destination = 'own-wallet' | 'allowlisted' | 'unknown';

export class Wallet {
  /** Our wallet keys by scriptPubKey hex. */
  readonly #byScript = new Map<string, WalletKeyRecord>();
  #nextReceive = 0;
  readonly #allowlisted: Set<string>;
  #xpubScripts: Set<string> | undefined;

  constructor(
    keys: readonly WalletKeyRecord[],
    private readonly policy: PolicyConfig,
    private readonly network: SignerNetwork,
  ) {
    for (const k of keys) this.add(k);
    this.#allowlisted = new Set(policy.allowlist.addresses.map((a) => a.scriptPubKeyHex.toLowerCase()));
  }

  add(k: WalletKeyRecord): void {
    this.#byScript.set(hex(k.scriptPubKey), k);
    if (k.chain === 0 && k.index >= this.#nextReceive) this.#nextReceive = k.index + 1;
  }

  /** The next unused receive index. */
  get nextReceiveIndex(): number {
    return this.#nextReceive;
  }

  /** Every wallet key, receive chain first, in index order. */
  all(): WalletKeyRecord[] {
    return [...this.#byScript.values()].sort((a, b) => a.chain - b.chain || a.index - b.index);
  }

  keyFor(script: Uint8Array): WalletKeyRecord | undefined {
    return this.#byScript.get(hex(script));
  }

  classify(script: Uint8Array): Destination {
    const h = hex(script);
    if (this.#byScript.has(h)) return 'own-wallet';
    if (this.#allowlisted.has(h)) return 'allowlisted';
    if (this.policy.allowlist.xpubs.length > 0 && this.#xpubs().has(h)) return 'allowlisted';
    return 'unknown';
  }

  /** Scripts of the allowlisted xpubs, derived once on first need. */
  #xpubs(): Set<string> {
    if (this.#xpubScripts === undefined) {
      const scripts = new Set<string>();
      for (const entry of this.policy.allowlist.xpubs) {
        const account = HDKey.fromExtendedKey(entry.xpub, XPUB_VERSIONS[this.network]);
        for (const chain of [0, 1] as const) {
          const branch = account.deriveChild(chain);
          for (let i = 0; i < XPUB_SCAN_LIMIT; i++) scripts.add(hex(p2wpkh(branch.deriveChild(i).publicKey!)));
        }
      }
      this.#xpubScripts = scripts;
    }
    return this.#xpubScripts;
  }
}

export function walletChain(chain: number): WalletChain {
  return chain === 1 ? 1 : 0;
}
