// Two keyless nodes, each with its own signer and HSM emulator, on one embedded chain: they connect by
// `pubkey@127.0.0.1:port` with BOLT 8 handshakes whose ECDH steps their signers perform, list each
// other, and a restarted node dials the peers it remembers by itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { hex } from '../bolt/bytes.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { NodeApiClient, NodeApiError, readNodeEndpoint, type ApiMessage } from '../cli/node-api.js';
import { eventually, startChain, startNode, startSigningSide, tempDir, type Listening, type NodeReady, type Proc, type SigningSide } from './helpers/node-stack.js';

const work = tempDir('node-peers');
let chain: Proc<Listening>;
const sides: Record<'alice' | 'bob', SigningSide> = {} as never;
const nodes: Record<'alice' | 'bob', Proc<NodeReady>> = {} as never;
const apis: Record<'alice' | 'bob', NodeApiClient> = {} as never;

const nodeDir = (who: 'alice' | 'bob'): string => join(work.dir, who, 'node');
const addressOf = (who: 'alice' | 'bob'): string => `${nodes[who].ready.node_id}@127.0.0.1:${nodes[who].ready.listening.peer.port}`;

async function peersOf(who: 'alice' | 'bob'): Promise<ApiMessage[]> {
  return (await apis[who].call('ListPeers'))['peers'] as ApiMessage[];
}

function ecdhCount(who: 'alice' | 'bob'): number {
  return readFileSync(join(sides[who].signerDir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => (JSON.parse(l) as { op: string }).op === 'Ecdh').length;
}

before(async () => {
  chain = await startChain(join(work.dir, 'chain'));
  for (const who of ['alice', 'bob'] as const) {
    sides[who] = await startSigningSide(join(work.dir, who));
    nodes[who] = await startNode(nodeDir(who), chain, sides[who]);
    apis[who] = new NodeApiClient(readNodeEndpoint(nodeDir(who)));
  }
});

after(async () => {
  for (const who of ['bob', 'alice'] as const) {
    apis[who]?.close();
    await nodes[who]?.stop();
    await sides[who]?.stop();
  }
  await chain?.stop();
  work.remove();
});

test('two nodes connect by pubkey@127.0.0.1:port and each lists the other', async () => {
  const ecdhBefore = { alice: ecdhCount('alice'), bob: ecdhCount('bob') };
  const r = await apis.alice.call('Connect', { address: addressOf('bob') });
  assert.equal(r['peer']['node_id'], nodes.bob.ready.node_id);
  assert.equal(r['peer']['state'], 'ready');
  assert.equal(r['peer']['direction'], 'outbound');
  assert.equal(r['peer']['persistent'], true);
  assert.equal(r['peer']['address'], `127.0.0.1:${nodes.bob.ready.listening.peer.port}`);

  const alicePeers = await peersOf('alice');
  assert.equal(alicePeers.length, 1);
  assert.equal(alicePeers[0]!['node_id'], nodes.bob.ready.node_id);
  assert.equal(alicePeers[0]!['state'], 'ready');
  assert.match(alicePeers[0]!['features'], /^[0-9a-f]+$/);

  const bobSees = await eventually('bob lists alice as ready', async () => {
    const peers = await peersOf('bob');
    return peers.length === 1 && peers[0]!['state'] === 'ready' ? peers[0]! : undefined;
  });
  assert.equal(bobSees['node_id'], nodes.alice.ready.node_id);
  assert.equal(bobSees['direction'], 'inbound');
  assert.equal(bobSees['persistent'], false);

  // BOLT 8: the initiator's act three and the responder's act one use the static key: the signers did it.
  assert.ok(ecdhCount('alice') > ecdhBefore.alice, 'alice\'s signer performed the initiator\'s ECDH');
  assert.ok(ecdhCount('bob') > ecdhBefore.bob, 'bob\'s signer performed the responder\'s ECDH');
  assert.equal((await apis.alice.call('GetInfo'))['num_peers'], 1);
});

test('connecting again to a connected peer answers with the same connection', async () => {
  const r = await apis.alice.call('Connect', { address: addressOf('bob') });
  assert.equal(r['peer']['state'], 'ready');
  assert.equal((await peersOf('alice')).length, 1);
});

test('a restarted node dials the peers it remembers, by itself', async () => {
  apis.alice.close();
  assert.equal(await nodes.alice.stop('SIGINT'), 0, nodes.alice.stderr());
  await eventually('bob sees alice gone', async () => ((await peersOf('bob')).length === 0 ? true : undefined));
  nodes.alice = await startNode(nodeDir('alice'), chain, sides.alice);
  apis.alice = new NodeApiClient(readNodeEndpoint(nodeDir('alice')));
  const peer = await eventually('alice reconnected to bob', async () => (await peersOf('alice')).find((p) => p['state'] === 'ready'));
  assert.equal(peer['node_id'], nodes.bob.ready.node_id);
  assert.equal(peer['persistent'], true);
  await eventually('bob lists alice again', async () => ((await peersOf('bob')).some((p) => p['node_id'] === nodes.alice.ready.node_id && p['state'] === 'ready') ? true : undefined));
});

test('a peer that cannot be reached is reported UNAVAILABLE and not remembered', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const ghostId = hex(secp.publicKey(new Uint8Array(32).fill(9)));
  const ghost = `${ghostId}@127.0.0.1:${port}`;
  await assert.rejects(apis.alice.call('Connect', { address: ghost }), (e: unknown) => {
    assert.ok(e instanceof NodeApiError);
    assert.equal(e.code, grpc.status.UNAVAILABLE);
    assert.match(e.details, new RegExp(`^connect: cannot connect to ${ghost}: `));
    return true;
  });
  assert.ok(!(await peersOf('alice')).some((p) => p['node_id'] === ghostId), 'not listed');
  // Not remembered: after a restart the node dials bob only.
  apis.alice.close();
  assert.equal(await nodes.alice.stop('SIGINT'), 0);
  nodes.alice = await startNode(nodeDir('alice'), chain, sides.alice);
  apis.alice = new NodeApiClient(readNodeEndpoint(nodeDir('alice')));
  const peers = await eventually('alice reconnected to bob', async () => {
    const list = await peersOf('alice');
    return list.some((p) => p['state'] === 'ready') ? list : undefined;
  });
  assert.deepEqual(peers.map((p) => p['node_id']), [nodes.bob.ready.node_id]);
});
