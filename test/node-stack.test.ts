// `vigil up`, what `npm start` runs: the embedded chain and alice, bob and carol (each an HSM
// emulator, a signer and a node, all separate processes) come up funded and connected; SIGINT stops
// every child and `vigil up` exits 0; a second start picks up the same state (same node ids, same
// chain, nothing funded or initialised twice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cliJson, eventually, startCli, tempDir } from './helpers/node-stack.js';

interface StackReady {
  stack: {
    dir: string;
    chain: { url: string; cookie: string };
    nodes: Record<'alice' | 'bob' | 'carol', { node_id: string; peer: { host: string; port: number }; node_dir: string }>;
    processes: { name: string; pid: number }[];
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const NAMES = ['alice', 'bob', 'carol'] as const;

test('vigil up starts the stack funded and connected, stops it on SIGINT, and restarts on the same state', async () => {
  const work = tempDir('node-stack');
  const dir = join(work.dir, '.vigil');
  const started: { stop(signal?: NodeJS.Signals): Promise<number | null> }[] = [];
  try {
    // ---- first run
    const first = await startCli<StackReady>(['up', '--dir', dir, '--log-level', 'warn']);
    started.push(first);
    const s = first.ready.stack;
    assert.equal(s.dir, dir);
    assert.deepEqual(s.processes.map((p) => p.name).sort(), ['chain', ...NAMES.flatMap((n) => [`${n}-hsm`, `${n}-node`, `${n}-signer`])].sort());
    const infos = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await cliJson<Record<string, unknown>>(s.nodes[n].node_dir, 'getinfo')] as const)));
    for (const n of NAMES) assert.equal(infos[n]!['node_id'], s.nodes[n].node_id);
    const height = infos['alice']!['block_height'] as number;
    assert.equal(height, 3 + 100 + 6, 'one coinbase per node, 100 blocks on top, 6 to confirm the default channels');
    const balances = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await cliJson<Record<string, string>>(s.nodes[n].node_dir, 'balance')] as const)));
    // Each node got one 50 BTC coinbase; alice and bob each funded a default channel from it.
    for (const n of NAMES) assert.ok(BigInt(balances[n]!['confirmed_sat']!) >= 4_000_000_000n, `${n} is funded`);
    for (const [n, peer] of [['alice', 'bob'], ['bob', 'carol']] as const) {
      await eventually(`${n}'s default channel to ${peer} is open`, async () => {
        const r = await cliJson<{ channels?: { peer_node_id: string; state: string }[] }>(s.nodes[n].node_dir, 'listchannels');
        return (r.channels ?? []).some((c) => c.peer_node_id === s.nodes[peer].node_id && c.state === 'open') ? true : undefined;
      });
    }
    const bobPeers = await eventually('bob connected to alice and carol', async () => {
      const r = await cliJson<{ peers: { node_id: string; state: string }[] }>(s.nodes.bob.node_dir, 'listpeers');
      return r.peers.filter((p) => p.state === 'ready').length === 2 ? r.peers : undefined;
    });
    assert.deepEqual(bobPeers.map((p) => p.node_id).sort(), [s.nodes.alice.node_id, s.nodes.carol.node_id].sort());
    const passphrase = join(dir, 'alice', 'hsm-passphrase');
    assert.equal(statSync(passphrase).mode & 0o777, 0o600, 'the demo passphrase file is private');
    const state = readFileSync(join(dir, 'stack.json'), 'utf8');

    assert.equal(await first.stop('SIGINT'), 0, first.stderr());
    for (const p of s.processes) assert.equal(alive(p.pid), false, `${p.name} (pid ${p.pid}) stopped`);
    const stopped = first.stderr().split('\n').filter((l) => l.startsWith('vigil up: stopped '));
    assert.deepEqual(stopped.at(-2), 'vigil up: stopped chain (0)', 'the chain, started first, stops last');
    assert.equal(stopped.at(-1), 'vigil up: stopped cleanly');
    assert.equal(stopped.length, s.processes.length + 1);

    // ---- second run: same directories, same identities, same chain; nothing re-done
    const second = await startCli<StackReady>(['up', '--dir', dir, '--log-level', 'warn']);
    started.push(second);
    const t = second.ready.stack;
    for (const n of NAMES) assert.equal(t.nodes[n].node_id, s.nodes[n].node_id, `${n} keeps its node id`);
    const info = await cliJson<Record<string, unknown>>(t.nodes.alice.node_dir, 'getinfo');
    assert.equal(info['block_height'], height, 'no blocks mined on the second start');
    for (const n of NAMES) assert.deepEqual(await cliJson(t.nodes[n].node_dir, 'balance'), balances[n]);
    assert.equal(readFileSync(join(dir, 'stack.json'), 'utf8'), state);
    assert.doesNotMatch(second.stderr(), /funded/);
    await eventually('alice and bob connected again', async () => {
      const r = await cliJson<{ peers: { node_id: string; state: string }[] }>(t.nodes.alice.node_dir, 'listpeers');
      return r.peers.some((p) => p.node_id === t.nodes.bob.node_id && p.state === 'ready') ? true : undefined;
    });
    assert.equal(await second.stop('SIGINT'), 0, second.stderr());
    for (const p of t.processes) assert.equal(alive(p.pid), false, `${p.name} (pid ${p.pid}) stopped`);
  } finally {
    // On a failed assertion the stack is still up: stop it (and so its children) before leaving.
    for (const proc of started) await proc.stop('SIGINT');
    work.remove();
  }
});
