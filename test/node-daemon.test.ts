// The keyless node as a real process against a real embedded chain, HSM emulator and signer on
// loopback: it takes its identity from the signer, reports every chain tip to the signer, finds its
// wallet's coins on the chain (maturity exactly at 100 confirmations), spends them only with the
// signer's signature and policy, guards its API with the token, and can be wiped and restarted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { hash160 } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { fallbackToAddress } from '../bolt/bolt11/index.js';
import { NodeApiClient, NodeApiError, readNodeEndpoint, type ApiMessage } from '../cli/node-api.js';
import { BitcoindRpcClient, btcToSat } from '../node/chain/rpc-client.js';
import { LIST_WALLET_ADDRESSES_RPC } from '../node/daemon/wallet.js';
import { signerUnaryMethods } from '../proto/signer-definition.js';
import { runCli, startChain, startNode, startSigningSide, tempDir, type Listening, type NodeReady, type Proc, type SigningSide } from './helpers/node-stack.js';

const work = tempDir('node-daemon');
const nodeDir = join(work.dir, 'alice', 'node');
let chain: Proc<Listening>;
let side: SigningSide;
let node: Proc<NodeReady>;
let api: NodeApiClient;
let rpc: BitcoindRpcClient;

/** A regtest address no node here owns (P2WPKH of a fixed key). */
const FOREIGN_ADDRESS = fallbackToAddress('regtest', { version: 0, program: hash160(secp.publicKey(new Uint8Array(32).fill(7))) });

async function call(method: string, request: object = {}): Promise<ApiMessage> {
  return api.call(method, request, 120_000);
}

async function balance(): Promise<{ confirmed: bigint; immature: bigint; unconfirmed: bigint; total: bigint }> {
  const b = await call('Balance');
  return { confirmed: BigInt(b['confirmed_sat']), immature: BigInt(b['immature_sat']), unconfirmed: BigInt(b['unconfirmed_sat']), total: BigInt(b['total_sat']) };
}

async function restartNode(): Promise<void> {
  api.close();
  assert.equal(await node.stop('SIGINT'), 0, node.stderr());
  node = await startNode(nodeDir, chain, side);
  api = new NodeApiClient(readNodeEndpoint(nodeDir));
}

before(async () => {
  chain = await startChain(join(work.dir, 'chain'));
  side = await startSigningSide(join(work.dir, 'alice'));
  node = await startNode(nodeDir, chain, side);
  api = new NodeApiClient(readNodeEndpoint(nodeDir));
  rpc = new BitcoindRpcClient({ url: `http://127.0.0.1:${chain.ready.listening.port}`, cookieFile: chain.ready.cookie! });
});

after(async () => {
  api?.close();
  rpc?.close();
  await node?.stop();
  await side?.stop();
  await chain?.stop();
  work.remove();
});

test('the node reports the node id its signer holds, on regtest, at the chain tip', async () => {
  assert.match(side.signer.ready.node_id!, /^0[23][0-9a-f]{64}$/);
  assert.equal(node.ready.node_id, side.signer.ready.node_id);
  const info = await call('GetInfo');
  assert.equal(info['node_id'], side.signer.ready.node_id);
  assert.equal(info['network'], 'regtest');
  assert.equal(info['block_height'], await rpc.getBlockCount());
  assert.equal(info['block_hash'], await rpc.getBestBlockHash());
  assert.deepEqual(info['peer_listen'], node.ready.listening.peer);
  assert.deepEqual(info['api_listen'], node.ready.listening.api);
  assert.equal(info['signer_address'], side.signerAddress());
  assert.equal(info['signer_device'], 'emulator');
  assert.equal(info['channels_available'], true);
});

test('every new tip is reported to the signer (AddBlock, in its audit log) before Mine answers', async () => {
  const mined = await call('Mine', { blocks: 2, address: FOREIGN_ADDRESS });
  assert.equal(mined['block_hashes'].length, 2);
  assert.equal(mined['block_height'], await rpc.getBlockCount());
  const lines = readFileSync(join(side.signerDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { op: string; decision: string; reason: string });
  const addBlocks = lines.filter((l) => l.op === 'AddBlock');
  assert.ok(addBlocks.length >= 2, 'the start and the mine each reported a tip');
  assert.equal(addBlocks.at(-1)!.reason, `chain tip at height ${mined['block_height']}`);
  assert.equal(addBlocks.at(-1)!.decision, 'allowed');
});

test('coins mined to a new address are immature until 100 blocks deep, then confirmed', async () => {
  const before = await balance();
  const { address, script_pubkey } = await call('NewAddress');
  assert.match(address, /^bcrt1q[0-9a-z]{38}$/);
  assert.match(script_pubkey, /^0014[0-9a-f]{40}$/);
  const mined = await call('Mine', { blocks: 1, address });
  const block = await rpc.getBlockWithTransactions(mined['block_hashes'][0]);
  const reward = block.tx[0]!.vout.filter((o) => o.scriptPubKey.hex === script_pubkey).reduce((a, o) => a + btcToSat(o.value), 0n);
  assert.ok(reward > 0n, 'the coinbase pays our address');

  let b = await balance();
  assert.equal(b.immature - before.immature, reward);
  assert.equal(b.confirmed, before.confirmed);
  // consensus: spendable once (next block height - coin height) >= 100, i.e. 99 blocks on top.
  await call('Mine', { blocks: 98, address: FOREIGN_ADDRESS });
  b = await balance();
  assert.equal(b.immature - before.immature, reward, '98 blocks on top: still immature');
  await call('Mine', { blocks: 1, address: FOREIGN_ADDRESS });
  b = await balance();
  assert.equal(b.confirmed - before.confirmed, reward, '99 blocks on top: mature');
  assert.equal(b.immature, before.immature);
  assert.equal(b.total, before.total + reward);
});

test('a withdrawal to our own wallet is signed by the signer and accepted by the chain', async () => {
  const before = await balance();
  assert.ok(before.confirmed > 200_000_000n, 'the previous test left mature coins');
  const { address } = await call('NewAddress');
  const w = await call('Withdraw', { address, amount_sat: '100000000', feerate_sat_per_vbyte: '2' });
  assert.equal(w['amount_sat'], '100000000');
  const fee = BigInt(w['fee_sat']);
  assert.ok(fee > 0n && fee < 10_000n, `fee ${fee}`);
  assert.ok((await rpc.getRawMempool()).includes(w['txid']), 'broadcast to the mempool');
  const decoded = await rpc.decodeRawTransaction(w['transaction']);
  assert.equal(decoded.txid, w['txid']);
  assert.ok(decoded.vin.every((i) => i.txinwitness?.length === 2), 'every input carries the signer\'s P2WPKH witness');
  let b = await balance();
  assert.equal(b.total, before.total - fee, 'pending: the spent coin leaves confirmed, the outputs are unconfirmed');
  assert.ok(b.unconfirmed >= 100_000_000n);
  await call('Mine', { blocks: 1, address: FOREIGN_ADDRESS });
  b = await balance();
  assert.equal(b.unconfirmed, 0n);
  assert.equal(b.confirmed, before.confirmed - fee);
});

test('a withdrawal outside the wallet and the allowlist is refused by the signer\'s policy, and spends nothing', async () => {
  const before = await balance();
  await assert.rejects(call('Withdraw', { address: FOREIGN_ADDRESS, amount_sat: '50000', feerate_sat_per_vbyte: '2' }), (e: unknown) => {
    assert.ok(e instanceof NodeApiError);
    assert.equal(e.code, grpc.status.FAILED_PRECONDITION);
    assert.match(e.details, /^the signer refused: .*policy-onchain-no-unknown-outputs/);
    return true;
  });
  assert.deepEqual(await rpc.getRawMempool(), []);
  assert.deepEqual(await balance(), before);
  // The coins the refused draft held are free again: a withdrawal to ourselves still works.
  const { address } = await call('NewAddress');
  const w = await call('Withdraw', { address, all: true, feerate_sat_per_vbyte: '1' });
  assert.equal(BigInt(w['amount_sat']) + BigInt(w['fee_sat']), before.confirmed);
  await call('Mine', { blocks: 1, address: FOREIGN_ADDRESS });
});

test('bad requests are refused naming the field', async () => {
  const cases: [string, object, RegExp][] = [
    ['Mine', { blocks: 0 }, /^blocks: expected 1\.\.1000, got 0/],
    ['Mine', { blocks: 1, address: 'bc1notregtest' }, /^address: "bc1notregtest": not a regtest address/],
    ['Connect', { address: 'nonsense' }, /^address: node address "nonsense"/],
    ['Connect', { address: `${node.ready.node_id}@127.0.0.1:1` }, /^address: is this node itself/],
    ['Withdraw', { address: FOREIGN_ADDRESS }, /^amount_sat: is required/],
  ];
  for (const [method, request, message] of cases) {
    await assert.rejects(call(method, request), (e: unknown) => {
      assert.ok(e instanceof NodeApiError, String(e));
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT, `${method}: ${e.details}`);
      assert.match(e.details, message);
      return true;
    });
  }
});

test('the API refuses a call without the token, or with another one', async () => {
  const { address } = readNodeEndpoint(nodeDir);
  for (const token of ['', '00'.repeat(32)]) {
    const stranger = new NodeApiClient({ address, token });
    try {
      await assert.rejects(stranger.call('GetInfo'), (e: unknown) => e instanceof NodeApiError && e.code === grpc.status.UNAUTHENTICATED && /x-vigil-token/.test(e.details));
    } finally {
      stranger.close();
    }
  }
  const tokenMode = (await import('node:fs')).statSync(join(nodeDir, 'api.token')).mode & 0o777;
  assert.equal(tokenMode, 0o600);
});

test('a node restarted on its cache keeps its id, wallet and tip', async () => {
  const before = await balance();
  const info = await call('GetInfo');
  await restartNode();
  assert.equal(node.ready.node_id, info['node_id']);
  assert.deepEqual(await balance(), before);
  assert.equal((await call('GetInfo'))['block_height'], info['block_height']);
});

test('a wiped node restarted against the same signer has the same node id (keyless, disposable)', async () => {
  const id = node.ready.node_id;
  api.close();
  assert.equal(await node.stop('SIGINT'), 0);
  rmSync(nodeDir, { recursive: true, force: true });
  node = await startNode(nodeDir, chain, side);
  api = new NodeApiClient(readNodeEndpoint(nodeDir));
  assert.equal(node.ready.node_id, id);
  assert.equal((await call('GetInfo'))['node_id'], id);
  assert.equal((await call('GetInfo'))['block_height'], await rpc.getBlockCount());
});

const signerListsAddresses = signerUnaryMethods().includes(LIST_WALLET_ADDRESSES_RPC);
test(
  'a wiped node gets its wallet balance back from the signer',
  { todo: signerListsAddresses ? false : `the signer has no ${LIST_WALLET_ADDRESSES_RPC} rpc yet: a wiped node cannot learn the addresses it had` },
  async () => {
    const before = await balance(); // the node as the previous test left it: wiped and restarted
    // Coins on an address issued before a wipe ...
    const { address } = await call('NewAddress');
    await call('Mine', { blocks: 1, address });
    const funded = await balance();
    assert.ok(funded.immature > before.immature);
    api.close();
    assert.equal(await node.stop('SIGINT'), 0);
    rmSync(nodeDir, { recursive: true, force: true });
    node = await startNode(nodeDir, chain, side);
    api = new NodeApiClient(readNodeEndpoint(nodeDir));
    // ... are counted again after it.
    assert.deepEqual(await balance(), funded);
  },
);

test('a node that cannot reach its signer, or its chain, exits 1 with one line naming it', async () => {
  const base = ['node', '--data-dir', join(work.dir, 'lonely'), '--signer-tls-dir', join(side.signerDir, 'tls'), '--listen-port', '0', '--log-level', 'silent'];
  const chainArgs = ['--chain-url', `http://127.0.0.1:${chain.ready.listening.port}`, '--chain-cookie', chain.ready.cookie!];
  const noSigner = await runCli([...base, '--signer', '127.0.0.1:1', ...chainArgs]);
  assert.equal(noSigner.code, 1);
  const signerLines = noSigner.stderr.trim().split('\n').filter((l) => l.startsWith('vigil node:'));
  assert.equal(signerLines.length, 1, noSigner.stderr);
  assert.match(signerLines[0]!, /^vigil node: cannot reach the signer at 127\.0\.0\.1:1: /);

  const noChain = await runCli([...base, '--signer', side.signerAddress(), '--chain-url', 'http://127.0.0.1:1', '--chain-cookie', chain.ready.cookie!]);
  assert.equal(noChain.code, 1);
  const chainLines = noChain.stderr.trim().split('\n').filter((l) => l.startsWith('vigil node:'));
  assert.equal(chainLines.length, 1, noChain.stderr);
  assert.match(chainLines[0]!, /^vigil node: cannot reach the chain at http:\/\/127\.0\.0\.1:1: .*connection refused/);
});
