// The node's CLI commands as real child processes against a running node: each prints one JSON line
// and exits 0; the channel commands say plainly that channels are not there yet; bad arguments give
// one error line naming what was wrong and exit 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliJson, runCli, startChain, startNode, startSigningSide, tempDir, type Listening, type NodeReady, type Proc, type SigningSide } from './helpers/node-stack.js';

const work = tempDir('node-cli');
const nodeDir = join(work.dir, 'alice', 'node');
let chain: Proc<Listening>;
let side: SigningSide;
let node: Proc<NodeReady>;

before(async () => {
  chain = await startChain(join(work.dir, 'chain'));
  side = await startSigningSide(join(work.dir, 'alice'));
  node = await startNode(nodeDir, chain, side);
});

after(async () => {
  await node?.stop();
  await side?.stop();
  await chain?.stop();
  work.remove();
});

test('getinfo, newaddress, mine, balance and listpeers print one JSON line each', async () => {
  const info = await cliJson<{ node_id: string; network: string; block_height: number }>(nodeDir, 'getinfo');
  assert.equal(info.node_id, node.ready.node_id);
  assert.equal(info.network, 'regtest');

  const addr = await cliJson<{ address: string; script_pubkey: string }>(nodeDir, 'newaddress');
  assert.match(addr.address, /^bcrt1q/);

  const mined = await cliJson<{ block_hashes: string[]; address: string; block_height: number }>(nodeDir, 'mine', '101', '--address', addr.address);
  assert.equal(mined.block_hashes.length, 101);
  assert.equal(mined.address, addr.address);
  assert.equal(mined.block_height, info.block_height + 101);

  const minedToNew = await cliJson<{ address: string }>(nodeDir, 'mine', '1');
  assert.match(minedToNew.address, /^bcrt1q/);
  assert.notEqual(minedToNew.address, addr.address, 'without --address the coinbase goes to a new wallet address');

  const bal = await cliJson<Record<string, string | number>>(nodeDir, 'balance');
  // 102 coinbases of 50 BTC to our wallet, the first three (heights 1..3) 100 blocks deep.
  assert.equal(bal['confirmed_sat'], String(3 * 50 * 1e8));
  assert.equal(bal['immature_sat'], String(99 * 50 * 1e8));
  assert.equal(bal['total_sat'], String(102 * 50 * 1e8));
  assert.equal(bal['utxo_count'], 102);
  assert.equal(bal['address_count'], 2);

  assert.deepEqual(await cliJson(nodeDir, 'listpeers'), { peers: [] });
});

test('connect to an unreachable peer exits 1 with one line', async () => {
  const generator = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'; // a valid node id nobody here holds
  const r = await runCli(['connect', `${generator}@127.0.0.1:1`, '--node-dir', nodeDir]);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^vigil connect: UNAVAILABLE: connect: cannot connect to 0279be66.*@127\.0\.0\.1:1: /);
  assert.equal(r.stdout, '');
});

test('channel commands on a node without channels: an empty list, and one clear error line for what cannot be done', async () => {
  const listed = await cliJson<{ channels?: unknown[] }>(nodeDir, 'listchannels');
  assert.deepEqual(listed.channels ?? [], []);
  const commands: string[][] = [
    ['closechannel', 'ab'.repeat(32)],
    ['pay', 'lnbcrt10n1pexample'],
    ['openchannel', '02' + 'ab'.repeat(32), '100000'],
  ];
  for (const args of commands) {
    const r = await runCli([...args, '--node-dir', nodeDir]);
    assert.equal(r.code, 1, `${args[0]}: ${r.stdout}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^vigil ${args[0]}: [A-Z_]+: `));
  }
});

test('bad arguments give one error line naming the problem, and exit 1', async () => {
  const missingDir = join(work.dir, 'no-such-node');
  const cases: [string[], RegExp][] = [
    [['mine'], /^vigil mine: missing argument \(usage: vigil mine <blocks>/],
    [['mine', 'ten'], /^vigil mine: blocks must be a whole number, got "ten"/],
    [['mine', '0'], /^vigil mine: blocks must be at least 1, got 0/],
    [['mine', '1001'], /^vigil mine: blocks must be at most 1000, got 1001/],
    [['mine', '1', '--bogus'], /^vigil mine: Unknown option '--bogus'/],
    [['getinfo', 'extra'], /^vigil getinfo: unexpected argument "extra"/],
    [['connect', 'nobody'], /^vigil connect: expected <66 hex pubkey>@<host>\[:<port>\], got "nobody"/],
    [['openchannel', 'zz', '1000'], /^vigil openchannel: node_id must be 66 hex characters, got "zz"/],
    [['openchannel', node.ready.node_id, '-5'], /^vigil openchannel: Unknown option '-5'/],
    [['invoice', 'lots'], /^vigil invoice: amount_msat must be a whole number, got "lots"/],
    [['pay', 'not-an-invoice'], /^vigil pay: expected a BOLT 11 invoice/],
    [['closechannel', 'abc'], /^vigil closechannel: channel_id must be 64 hex characters, got "abc"/],
    [['getinfo', '--node-dir', missingDir], /^vigil getinfo: --node-dir .*no-such-node: no api\.json there \(is a node running/],
    [['node'], /^vigil node: --signer is required/],
    [['node', '--data-dir', missingDir, '--signer', 'nowhere', '--signer-tls-dir', missingDir, '--chain-url', 'http://127.0.0.1:1', '--chain-cookie', 'x'], /^vigil node: --signer must be host:port, got "nowhere"/],
    [['node', '--data-dir', missingDir, '--signer', '127.0.0.1:1', '--signer-tls-dir', missingDir, '--chain-url', 'http://127.0.0.1:1'], /^vigil node: --chain-cookie \(or --chain-user and --chain-password\) is required/],
    [['node', '--data-dir', missingDir, '--signer', '127.0.0.1:1', '--signer-tls-dir', missingDir, '--chain-url', 'http://127.0.0.1:1', '--chain-cookie', 'x', '--listen-port', '70000'], /^vigil node: --listen-port must be a port number 0\.\.65535, got "70000"/],
    [['node', '--data-dir', missingDir, '--signer', '127.0.0.1:1', '--signer-tls-dir', missingDir, '--chain-url', 'http://127.0.0.1:1', '--chain-cookie', 'x'], /^vigil node: --signer-tls-dir: cannot read .*ca\.pem: ENOENT/],
    [['up', '--log-level', 'loud'], /^vigil up: --log-level: unknown level "loud"/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 1, `vigil ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `vigil ${args.join(' ')}:\n${r.stderr}`);
    assert.match(lines[0]!, message);
    assert.equal(r.stdout, '');
  }
});
