// Two real Vigil nodes on loopback, as the channel tests and the channel bench run them: one embedded
// chain, and for alice and bob each an HSM emulator, a signer and a node (child processes), with a
// node API client per node. Also the steps that fund alice, connect her to bob and open one channel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bech32 } from '@scure/base';
import { sha256 } from '../../bolt/crypto/hash.js';
import { NodeApiClient, readNodeEndpoint, type ApiMessage } from '../../cli/node-api.js';
import { cliJson, eventually, startChain, startNode, startSigningSide, type Listening, type NodeReady, type Proc, type SigningSide } from './node-stack.js';

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
  restartNode(who: Who): Promise<void>;
  /** Stops nodes, signers, emulators, then the chain; safe after a partial start. */
  stop(): Promise<void>;
}

/** Starts the chain, both signing sides and both nodes under `workDir`. Stops what it started if one step fails. */
export async function startTwoNodeStack(workDir: string): Promise<TwoNodeStack> {
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
  const startNodeOf = async (who: Who): Promise<void> => {
    nodes[who] = await startNode(nodeDir(who), chain!, sides[who]!);
    apis[who] = new NodeApiClient(readNodeEndpoint(nodeDir(who)));
  };
  try {
    chain = await startChain(join(workDir, 'chain'));
    for (const who of PEOPLE) {
      sides[who] = await startSigningSide(join(workDir, who));
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
    async restartNode(who) {
      apis[who]?.close();
      await nodes[who]?.stop();
      await startNodeOf(who);
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
