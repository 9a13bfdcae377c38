// What this node announces in `init` (BOLT 1, BOLT 9 context I). All optional (odd) bits, so a peer
// that lacks one is still welcome: option_data_loss_protect, var_onion_optin,
// option_static_remotekey, payment_secret, option_anchors, option_channel_type.
// The channel shell may require more once channels exist (e.g. make channel_type compulsory).
import { fromBits } from '../../bolt/features.js';

export const INIT_FEATURE_BITS: readonly number[] = [1, 9, 13, 15, 23, 45];

export function initFeatures(): Uint8Array {
  return fromBits(INIT_FEATURE_BITS);
}

/** bitcoind's getblockchaininfo `chain` for each signer network name. */
export const CHAIN_NAME_OF_NETWORK: Readonly<Record<string, string>> = {
  bitcoin: 'main',
  testnet: 'test',
  signet: 'signet',
  regtest: 'regtest',
};
