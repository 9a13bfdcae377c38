// What the chain tests share: a temporary data directory, the compiled `vigil chain` started as a
// child process, keys, and transactions built and signed with our own BOLT 3 transaction code and
// `secp` (BIP 143 for segwit inputs, the legacy sighash for P2PKH).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concat, hex } from '../../bolt/bytes.js';
import { hash160 } from '../../bolt/crypto/hash.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import { p2wpkh, p2wpkhScriptCode, p2wsh, toLocalDelayedWitness, toLocalScript } from '../../bolt/bolt3/scripts.js';
import {
  encodeScriptSignature,
  legacySighashAll,
  serializeTransaction,
  signSegwitV0Input,
  SIGHASH_ALL,
  transactionIdHex,
  type Transaction,
} from '../../bolt/bolt3/tx.js';
import { p2pkhScript, p2shScript, scriptToAddress } from '../../node/chain/server/address.js';
import { REGTEST } from '../../node/chain/server/params.js';
import { pushData } from '../../node/chain/server/script.js';
import { BitcoindRpcError } from '../../node/chain/rpc-client.js';
import { spawnChain, type SpawnedChain, type SpawnChainOptions } from '../../node/chain/server/spawn.js';

/**
 * The compiled CLI for a test file at `testUrl`: dist/bin/vigil.js seen from dist/test/ (as
 * `new URL('../bin/vigil.js', import.meta.url)`), or, when the test runs from source under tsx,
 * the last build's dist/bin/vigil.js. Undefined when there is no build.
 */
export function compiledCli(testUrl: string): string | undefined {
  const fromDist = fileURLToPath(new URL('../bin/vigil.js', testUrl));
  if (testUrl.endsWith('.js') && existsSync(fromDist)) return fromDist;
  const fromSource = fileURLToPath(new URL('../dist/bin/vigil.js', testUrl));
  return existsSync(fromSource) ? fromSource : undefined;
}

/** Expect a JSON-RPC error with bitcoind's `code` and a message matching `message`. */
export async function assertRpcError(call: Promise<unknown>, code: number, message: RegExp): Promise<void> {
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof BitcoindRpcError, `expected a BitcoindRpcError, got ${String(e)}`);
    assert.equal(e.code, code, `code of "${e.rpcMessage}"`);
    assert.match(e.rpcMessage, message);
    assert.equal(e.message, `bitcoind RPC ${e.method} failed: error ${code}: ${e.rpcMessage}`);
    return true;
  });
}

export function tempDataDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `vigil-chain-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startChain(cli: string, dataDir: string, extra: Partial<SpawnChainOptions> = {}): Promise<SpawnedChain> {
  return spawnChain({ cliPath: cli, dataDir, port: 0, ...extra });
}

export interface Key {
  readonly priv: Uint8Array;
  readonly pub: Uint8Array;
}

/** A fixed test key: the scalar 0x…NN (small, valid, different per `n`). */
export function testKey(n: number): Key {
  const priv = new Uint8Array(32);
  priv[0] = 0x5a;
  priv[31] = n;
  return { priv, pub: secp.publicKey(priv) };
}

export const address = (script: Uint8Array): string => scriptToAddress(script, REGTEST)!;

/** How an output is spent. */
export type Spend =
  | { readonly kind: 'p2wpkh'; readonly key: Key }
  | { readonly kind: 'p2pkh'; readonly key: Key }
  | { readonly kind: 'p2sh-p2wpkh'; readonly key: Key }
  /** BOLT 3 to_local, spent by the delayed key after to_self_delay (witness <sig> <> <script>). */
  | { readonly kind: 'to_local'; readonly key: Key; readonly revocationPub: Uint8Array; readonly delay: number };

export function scriptOf(spend: Spend): Uint8Array {
  switch (spend.kind) {
    case 'p2wpkh':
      return p2wpkh(spend.key.pub);
    case 'p2pkh':
      return p2pkhScript(hash160(spend.key.pub));
    case 'p2sh-p2wpkh':
      return p2shScript(hash160(p2wpkh(spend.key.pub)));
    case 'to_local':
      return p2wsh(toLocalScript(spend.revocationPub, spend.delay, spend.key.pub));
  }
}

export interface Utxo {
  readonly txid: string;
  readonly vout: number;
  readonly amountSat: bigint;
  readonly spend: Spend;
}

export interface TxInputSpec extends Utxo {
  readonly sequence?: number;
}

export interface BuiltTx {
  readonly tx: Transaction;
  readonly hex: string;
  readonly txid: string;
}

/** Build and sign a transaction spending `inputs` to `outputs`. */
export function buildTx(
  inputs: readonly TxInputSpec[],
  outputs: readonly { script: Uint8Array; amountSat: bigint }[],
  options: { version?: number; locktime?: number } = {},
): BuiltTx {
  let tx: Transaction = {
    version: options.version ?? 2,
    locktime: options.locktime ?? 0,
    inputs: inputs.map((i) => ({ txid: Buffer.from(i.txid, 'hex'), vout: i.vout, sequence: i.sequence ?? 0xfffffffd, scriptSig: new Uint8Array(0), witness: [] })),
    outputs: outputs.map((o) => ({ amountSat: o.amountSat, script: o.script })),
  };
  const signed = inputs.map((input, i) => {
    const s = input.spend;
    switch (s.kind) {
      case 'p2wpkh':
        return { scriptSig: new Uint8Array(0), witness: [signSegwitV0Input(tx, i, p2wpkhScriptCode(s.key.pub), input.amountSat, s.key.priv), s.key.pub] };
      case 'p2sh-p2wpkh':
        return {
          scriptSig: pushData(p2wpkh(s.key.pub)),
          witness: [signSegwitV0Input(tx, i, p2wpkhScriptCode(s.key.pub), input.amountSat, s.key.priv), s.key.pub],
        };
      case 'p2pkh': {
        const sig = encodeScriptSignature(secp.sign(legacySighashAll(tx, i, scriptOf(s)), s.key.priv), SIGHASH_ALL);
        return { scriptSig: concat(pushData(sig), pushData(s.key.pub)), witness: [] };
      }
      case 'to_local': {
        const witnessScript = toLocalScript(s.revocationPub, s.delay, s.key.pub);
        return { scriptSig: new Uint8Array(0), witness: toLocalDelayedWitness(signSegwitV0Input(tx, i, witnessScript, input.amountSat, s.key.priv), witnessScript) };
      }
    }
  });
  tx = { ...tx, inputs: tx.inputs.map((inp, i) => ({ ...inp, scriptSig: signed[i]!.scriptSig, witness: signed[i]!.witness })) };
  return { tx, hex: hex(serializeTransaction(tx)), txid: transactionIdHex(tx) };
}

/** The same transaction with one byte of input `input`'s first witness item (the signature's r) changed. */
export function withBadSignature(built: BuiltTx, input = 0): string {
  const tx = built.tx;
  const witness = tx.inputs[input]!.witness.map((w) => Uint8Array.from(w));
  witness[0]![10]! ^= 0x01;
  const bad: Transaction = { ...tx, inputs: tx.inputs.map((inp, i) => (i === input ? { ...inp, witness } : inp)) };
  return hex(serializeTransaction(bad));
}

export const BTC = 100_000_000n;
