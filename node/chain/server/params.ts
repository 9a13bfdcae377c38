// Regtest consensus parameters, as Bitcoin Core's CRegTestParams sets them
// (src/kernel/chainparams.cpp): the real regtest genesis block, 150-block halvings.
import { fromHex } from '../../../bolt/bytes.js';
import { COIN } from './amount.js';
import type { AddressNetwork } from './address.js';

export interface ChainParams extends AddressNetwork {
  readonly chain: 'regtest';
  /** consensus.nSubsidyHalvingInterval */
  readonly subsidyHalvingInterval: number;
  /** COINBASE_MATURITY (consensus/consensus.h) */
  readonly coinbaseMaturity: number;
  /** Compact target of every block: regtest's powLimit, no retargeting (fPowNoRetargeting). */
  readonly bits: number;
  /** MAX_BLOCK_WEIGHT (consensus/consensus.h) */
  readonly maxBlockWeight: number;
  readonly genesis: {
    readonly version: number;
    readonly time: number;
    readonly bits: number;
    readonly nonce: number;
    /** The famous coinbase ("The Times 03/Jan/2009 ..."), shared by every network's genesis. */
    readonly coinbaseHex: string;
    /** The hash bitcoind's regtest reports for block 0. */
    readonly hash: string;
  };
}

export const REGTEST: ChainParams = {
  chain: 'regtest',
  bech32Hrp: 'bcrt',
  pubKeyHashPrefix: 0x6f,
  scriptHashPrefix: 0xc4,
  subsidyHalvingInterval: 150,
  coinbaseMaturity: 100,
  bits: 0x207fffff,
  maxBlockWeight: 4_000_000,
  genesis: {
    version: 1,
    time: 1296688602,
    bits: 0x207fffff,
    nonce: 2,
    coinbaseHex:
      '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000',
    hash: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
  },
};

/** GetBlockSubsidy: 50 BTC, halved every `subsidyHalvingInterval` blocks, zero after 64 halvings. */
export function blockSubsidy(height: number, params: ChainParams = REGTEST): bigint {
  const halvings = Math.floor(height / params.subsidyHalvingInterval);
  if (halvings >= 64) return 0n;
  return (50n * COIN) >> BigInt(halvings);
}

export function genesisCoinbase(params: ChainParams = REGTEST): Uint8Array {
  return fromHex(params.genesis.coinbaseHex, 'genesis coinbase');
}
