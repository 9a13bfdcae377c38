// Two real Vigil nodes on loopback, as the channel tests and the channel bench run them: one embedded
// chain, and for alice and bob each an HSM emulator, a signer and a node (child processes), with a
// node API client per node. Also the steps that fund alice, connect her to bob and open one channel.
import { readFileSync, rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bech32 } from '@scure/base';
import { sha256 } from '../../bolt/crypto/hash.js';
import { BitcoindRpcClient } from '../../node/chain/rpc-client.js';
import { NodeApiClient, readNodeEndpoint, type ApiMessage } from '../../cli/node-api.js';
import { cliJson, eventually, startChain, startNode, startSigningSide, type Listening, type NodeReady, type Proc, type SigningSide, type SigningSideOptions } from './node-stack.js';

export type Who = 'alice' | 'bob';
export const PEOPLE: readonly Who[] = ['alice', 'bob'];

/** Blocks mined to this address pay no wallet of the stack. */
export const OUTSIDE = bech32.encode('bcrt', [0, ...bech32.toWords(sha256(Uint8Array.of(1)).slice(0, 20))]);

export interface TwoNodeStack {
  readonly chain: Proc<Listening>;
  /** Mutable records: restartNode replaces the entry in place. */
  readonly sides: Record<Who, SigningSide>;
  readonly nodes: Record<Who, Proc<NodeReady>>;
  readonly apis: Record<Who, NodeApiClient>;
  nodeDir(who: Who): string;
  /** host:port where `who` listens for peers, prefixed by its node id (the Connect address). */
  peerAddress(who: Who): string;
  /** Stops `who`'s node (SIGKILL with `kill`), deletes its data directory with `wipe`, and starts it again on the same signer (with `env` added to its environment). */
  restartNode(who: Who, options?: { kill?: boolean; wipe?: boolean; env?: NodeJS.ProcessEnv }): Promise<void>;
  /** Stops nodes, signers, emulators, then the chain; safe after a partial start. */
  stop(): Promise<void>;
}

/** Starts the chain, both signing sides and both nodes under `workDir`. Stops what it started if one step fails. */
export async function startTwoNodeStack(workDir: string, options: SigningSideOptions = {}): Promise<TwoNodeStack> {
  const sides: Partial<Record<Who, SigningSide>> = {};
  const nodes: Partial<Record<Who, Proc<NodeReady>>> = {};
  const apis: Partial<Record<Who, NodeApiClient>> = {};
  let chain: Proc<Listening> | undefined;
  const nodeDir = (who: Who): string => join(workDir, who, 'node');
  const stop = async (): Promise<void> => {
    for (const who of ['bob', 'alice'] as const) {
      apis[who]?.close();
      await nodes[who]?.stop();
      await sides[who]?.stop();
    }
    await chain?.stop();
  };
  const startNodeOf = async (who: Who, env: NodeJS.ProcessEnv = {}): Promise<void> => {
    nodes[who] = await startNode(nodeDir(who), chain!, sides[who]!, [], env);
    apis[who] = new NodeApiClient(readNodeEndpoint(nodeDir(who)));
  };
  try {
    chain = await startChain(join(workDir, 'chain'));
    for (const who of PEOPLE) {
      sides[who] = await startSigningSide(join(workDir, who), options);
      await startNodeOf(who);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const full = <T>(r: Partial<Record<Who, T>>): Record<Who, T> => r as Record<Who, T>;
  return {
    chain,
    sides: full(sides),
    nodes: full(nodes),
    apis: full(apis),
    nodeDir,
    peerAddress: (who) => `${nodes[who]!.ready.node_id}@127.0.0.1:${nodes[who]!.ready.listening.peer.port}`,
    async restartNode(who, options = {}) {
      apis[who]?.close();
      await nodes[who]?.stop(options.kill === true ? 'SIGKILL' : 'SIGTERM');
      if (options.wipe === true) rmSync(nodeDir(who), { recursive: true, force: true });
      await startNodeOf(who, options.env);
    },
    stop,
  };
}

/** Mines blocks whose coinbase goes to no wallet of the stack. */
export async function mineOutside(stack: TwoNodeStack, blocks: number): Promise<void> {
  await stack.apis.alice.call('Mine', { blocks, address: OUTSIDE }, 120_000);
}

/** Gives alice one matured coinbase and connects her to bob. */
export async function fundAliceAndConnect(stack: TwoNodeStack): Promise<void> {
  await stack.apis.alice.call('Mine', { blocks: 1 }, 120_000);
  await mineOutside(stack, 100);
  await stack.apis.alice.call('Connect', { address: stack.peerAddress('bob') });
}

/** `who`'s only channel, as ListChannels gives it (throws when it has none or several). */
export async function channelOf(stack: TwoNodeStack, who: Who): Promise<ApiMessage> {
  const list = (await stack.apis[who].call('ListChannels'))['channels'] as ApiMessage[];
  if (list.length !== 1) throw new Error(`${who} has ${list.length} channels, expected one`);
  return list[0]!;
}

/** Opens alice->bob through the CLI, buries the funding 6 deep, and waits until both sides call it open. */
export async function openAliceToBob(stack: TwoNodeStack, capacitySat: bigint): Promise<{ channel_id: string; funding_txid: string }> {
  const opened = await cliJson<{ channel_id: string; funding_txid: string }>(stack.nodeDir('alice'), 'openchannel', stack.nodes.bob.ready.node_id, capacitySat.toString());
  await mineOutside(stack, 6);
  for (const who of PEOPLE) await eventually(`${who}'s channel is open`, async () => ((await channelOf(stack, who))['state'] === 'open' ? true : undefined));
  return opened;
}

/** Every decision line of `who`'s signer audit log, as {op}. */
export function auditOps(stack: TwoNodeStack, who: Who): string[] {
  return readFileSync(join(stack.sides[who].signerDir, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { op: string }).op);
}

/** What each side should own in the channel, kept by the test as it pays, and checked against both nodes. */
export interface PaymentLedger {
  readonly balances: Record<Who, bigint>;
  /** `payer` pays an invoice of the other side for `amountMsat`; it must succeed. */
  pay(payer: Who, amountMsat: bigint): Promise<void>;
  /** Both nodes show exactly the ledger's balances, with no HTLC pending. */
  assertSettled(label: string): Promise<void>;
}

export function paymentLedger(stack: TwoNodeStack, openerMsat: bigint): PaymentLedger {
  const balances: Record<Who, bigint> = { alice: openerMsat, bob: 0n };
  return {
    balances,
    async pay(payer, amountMsat) {
      const payee: Who = payer === 'alice' ? 'bob' : 'alice';
      // Both calls are tried again while a signer restarts (the API answers UNAVAILABLE meanwhile).
      const inv = await eventually(`${payee} invoices ${amountMsat} msat`, async () => stack.apis[payee].call('CreateInvoice', { amount_msat: amountMsat.toString(), description: `pay ${amountMsat}` }), 60_000);
      const r = await eventually(`${payer} pays ${amountMsat} msat`, async () => stack.apis[payer].call('Pay', { invoice: inv['invoice'], timeout_seconds: 60 }), 60_000);
      assert.equal(r['payment']['status'], 'succeeded', `payment of ${amountMsat} msat: ${r['payment']['failure_reason']}`);
      balances[payer] -= amountMsat;
      balances[payee] += amountMsat;
    },
    async assertSettled(label) {
      for (const who of PEOPLE) {
        const other: Who = who === 'alice' ? 'bob' : 'alice';
        const c = await eventually(`${who} settled (${label})`, async () => {
          const ch = await channelOf(stack, who);
          return BigInt(ch['local_balance_msat']) === balances[who] && Number(ch['pending_htlcs']) === 0 ? ch : undefined;
        });
        assert.equal(BigInt(c['local_balance_msat']), balances[who], `${who} own balance (${label})`);
        assert.equal(BigInt(c['remote_balance_msat']), balances[other], `${who} peer balance (${label})`);
      }
    },
  };
}

/**
 * alice closes the channel mutually; once the close confirms, each wallet grew by exactly its channel
 * balance (alice, the opener, pays the closing fee) and both nodes call the channel closed. bob's
 * balance must be above the dust limit (546 sat) so that his output exists.
 */
export async function closeAndCheckWallets(stack: TwoNodeStack, ledger: PaymentLedger, channelId: string, capacitySat: bigint): Promise<void> {
  const walletTotal = async (who: Who): Promise<bigint> => BigInt((await stack.apis[who].call('Balance'))['total_sat'] as string);
  const before = { alice: await walletTotal('alice'), bob: await walletTotal('bob') };
  const closed = await cliJson<{ closing_txid: string }>(stack.nodeDir('alice'), 'closechannel', channelId);
  assert.match(closed.closing_txid, /^[0-9a-f]{64}$/);
  await mineOutside(stack, 1);
  const rpc = new BitcoindRpcClient({ url: `http://127.0.0.1:${stack.chain.ready.listening.port}`, cookieFile: stack.chain.ready.cookie! });
  try {
    const closingTx = await rpc.getRawTransaction(closed.closing_txid);
    assert.ok((closingTx.confirmations ?? 0) >= 1, 'the closing transaction confirmed');
    const outSat = closingTx.vout.reduce((a, o) => a + BigInt(Math.round(o.value * 1e8)), 0n);
    // BOLT 3: each output is its balance rounded down to the satoshi; the opener's also pays the fee.
    const aliceSat = ledger.balances.alice / 1000n;
    const bobSat = ledger.balances.bob / 1000n;
    assert.ok(aliceSat + bobSat - outSat > 0n, 'the closing transaction pays a fee');
    await eventually('the wallets see the closing outputs', async () => ((await walletTotal('bob')) > before.bob ? true : undefined));
    assert.equal((await walletTotal('bob')) - before.bob, bobSat, 'bob gets his balance, rounded down to the satoshi');
    assert.equal((await walletTotal('alice')) - before.alice, outSat - bobSat, 'alice (the opener) gets her balance minus the closing fee');
  } finally {
    rpc.close();
  }
  for (const who of PEOPLE) await eventually(`${who} sees the channel closed`, async () => ((await channelOf(stack, who))['state'] === 'closed' ? true : undefined));
}
