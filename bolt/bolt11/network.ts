// BOLT 11 §Human-Readable Part: the currency prefix, and the on-chain address parameters a
// fallback address (`f` field) is written with on each network.

export type Network = 'bitcoin' | 'testnet' | 'signet' | 'regtest' | 'simnet';

export interface NetworkParams {
  /** `ln` + BIP-0173 currency prefix. */
  readonly invoicePrefix: string;
  /** BIP-0173 segwit address prefix. */
  readonly segwitHrp: string;
  /** Base58check version byte of a P2PKH address. */
  readonly p2pkhVersion: number;
  /** Base58check version byte of a P2SH address. */
  readonly p2shVersion: number;
}

export const NETWORKS: Readonly<Record<Network, NetworkParams>> = {
  bitcoin: { invoicePrefix: 'lnbc', segwitHrp: 'bc', p2pkhVersion: 0x00, p2shVersion: 0x05 },
  testnet: { invoicePrefix: 'lntb', segwitHrp: 'tb', p2pkhVersion: 0x6f, p2shVersion: 0xc4 },
  signet: { invoicePrefix: 'lntbs', segwitHrp: 'tb', p2pkhVersion: 0x6f, p2shVersion: 0xc4 },
  regtest: { invoicePrefix: 'lnbcrt', segwitHrp: 'bcrt', p2pkhVersion: 0x6f, p2shVersion: 0xc4 },
  // btcd's simnet (lnd uses it in tests).
  simnet: { invoicePrefix: 'lnsb', segwitHrp: 'sb', p2pkhVersion: 0x3f, p2shVersion: 0x7b },
};

/** The network whose invoice prefix is exactly `prefix` (e.g. `lntbs`), or undefined. */
export function networkOfPrefix(prefix: string): Network | undefined {
  for (const [name, params] of Object.entries(NETWORKS) as [Network, NetworkParams][]) {
    if (params.invoicePrefix === prefix) return name;
  }
  return undefined;
}
