// The signer's key derivation plan: which BIP 32 path of the device holds which key.
//
//   node key                     m / 9735' / coin' / 0' / 0'
//   channel k, role r            m / 9735' / coin' / 1' / k' / r'
//       r = 0 funding_pubkey, 1 revocation_basepoint, 2 payment_basepoint,
//           3 delayed_payment_basepoint, 4 htlc_basepoint,
//           5 the key the device turns into the channel's shachain seed
//             (HMAC-SHA256(key, "vigil/per-commitment-seed/v1"), proto/device-protocol.md)
//   wallet (BIP 84, P2WPKH)      m / 84' / coin' / 0' / chain / i      chain 0 receive, 1 change
//
// coin is the SLIP-44 coin type: 0 on bitcoin, 1 on testnet, signet and regtest.
// 9735 (the Lightning port) is the purpose of every Lightning key, so they never collide with a wallet
// standard's keys on the same seed. Every Lightning level is hardened: basepoint secrets are tweaked with
// public data (BOLT 3 §Key Derivation) and a channel's keys are given to nobody, so nothing needs public
// derivation, and hardening keeps one leaked child key from exposing its siblings through an xpub.
// The wallet keeps BIP 84's unhardened last two levels so the account xpub (m/84'/coin'/0') can watch it.
// The channel index k is a counter the signer stores (NewChannel takes the next one), below 2^31.
import { hardened, type DerivationPath } from './device/device.js';

export type SignerNetwork = 'bitcoin' | 'testnet' | 'signet' | 'regtest';
export const SIGNER_NETWORKS: readonly SignerNetwork[] = ['bitcoin', 'testnet', 'signet', 'regtest'];

/** BIP 43 purpose of every Lightning key. */
export const LIGHTNING_PURPOSE = 9735;
/** BIP 84: native segwit v0 single-key wallet. */
export const WALLET_PURPOSE = 84;
/** Largest channel or wallet index (hardened and unhardened BIP 32 indexes are below 2^31). */
export const MAX_KEY_INDEX = 0x7fffffff;

/** The keys of one channel, by their role number in the path. */
export const CHANNEL_KEY_ROLES = {
  funding: 0,
  revocation: 1,
  payment: 2,
  delayedPayment: 3,
  htlc: 4,
  perCommitmentSeed: 5,
} as const;
export type ChannelKeyRole = keyof typeof CHANNEL_KEY_ROLES;

/** Wallet chains (BIP 44 `change` level). */
export const WALLET_CHAIN = { receive: 0, change: 1 } as const;
export type WalletChain = (typeof WALLET_CHAIN)[keyof typeof WALLET_CHAIN];

/** SLIP-44: 0 for bitcoin, 1 for every test network. */
export function coinType(network: SignerNetwork): number {
  return network === 'bitcoin' ? 0 : 1;
}

function checkIndex(index: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_KEY_INDEX) throw new RangeError(`${what} ${index} is outside 0..${MAX_KEY_INDEX}`);
}

/** The node key: node_id, BOLT 8 ECDH, gossip, invoices and signed messages. */
export function nodeKeyPath(network: SignerNetwork): DerivationPath {
  return [hardened(LIGHTNING_PURPOSE), hardened(coinType(network)), hardened(0), hardened(0)];
}

/** One key of channel `channelIndex`. */
export function channelKeyPath(network: SignerNetwork, channelIndex: number, role: ChannelKeyRole): DerivationPath {
  checkIndex(channelIndex, 'channel key index');
  return [hardened(LIGHTNING_PURPOSE), hardened(coinType(network)), hardened(1), hardened(channelIndex), hardened(CHANNEL_KEY_ROLES[role])];
}

/** The BIP 84 account whose xpub watches the signer's on-chain wallet. */
export function walletAccountPath(network: SignerNetwork): DerivationPath {
  return [hardened(WALLET_PURPOSE), hardened(coinType(network)), hardened(0)];
}

/** A wallet key: BIP 84 m/84'/coin'/0'/chain/index. */
export function walletKeyPath(network: SignerNetwork, chain: WalletChain, index: number): DerivationPath {
  checkIndex(index, 'wallet key index');
  return [...walletAccountPath(network), chain, index];
}
