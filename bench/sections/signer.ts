// The cost of the node/signer split: SignCounterpartyCommitment as a full round trip
// (gRPC over mutual TLS -> rebuild with bolt/ -> policy -> HSM emulator process, one SIGN_BATCH for
// the commitment and its HTLCs -> SQLite commit and audit line, made durable by a group flush), and
// the same operation on an in-process signer with an in-memory device. Throughput with four channels
// at once, over gRPC and in process (where requests arriving together share their fsyncs).
// The counterparty (Bob) is an in-process signer in every case; only Alice's calls are timed.
import { readFileSync } from 'node:fs';
import { SignerClient } from '../../node/signer-client/client.js';
import { paths } from '../../signer/config.js';
import type { SignerService } from '../../signer/service/index.js';
import { MemoryDevice } from '../../test/helpers/memory-device.js';
import { openChannel, openSigner, tempDir, type ChannelPair } from '../../test/helpers/signer-pair.js';
import { runVigil, startVigil, tempDir as tempDirRemovable } from '../../test/helpers/vigil-process.js';
import { percentile } from '../measure.js';

const ROUNDS = 300;
const round2 = (ms: number) => Math.round(ms * 100) / 100;

/** Times Alice signing Bob's next commitment, then completes the round so the next number is valid. */
async function timedRounds(pair: ChannelPair, rounds: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const n = pair.nextHolder.bob;
    const info = pair.info('bob', n);
    const start = performance.now();
    const signed = await pair.signCommitmentOf('bob', n, info);
    samples.push(performance.now() - start);
    await pair.validate('bob', info, signed);
    await pair.revoke('bob', n - 1);
    await pair.validateRevocation('bob', n - 1);
  }
  return samples;
}

async function addTenHtlcs(pair: ChannelPair, tag: number): Promise<void> {
  for (let i = 0; i < 10; i++) await pair.pay('alice', 1_000_000n + BigInt(i), tag * 16 + i);
}

async function counterparty(byte: number): Promise<SignerService> {
  return openSigner(tempDir('bench-bob'), MemoryDevice.fromByte(byte));
}

async function inProcess(): Promise<number[]> {
  const alice = await openSigner(tempDir('bench-alice'), MemoryDevice.fromByte(0xa1));
  const bob = await counterparty(0xb1);
  const pair = await openChannel({ alice, bob }, 'anchors', 1);
  const samples = await timedRounds(pair, ROUNDS);
  await alice.close();
  await bob.close();
  return samples;
}

/**
 * Throughput of one in-process signer (in-memory device, no gRPC) with four channels doing rounds at
 * once: what the signer itself sustains, its disk flushes included. Alice's requests per second.
 */
async function inProcessConcurrent(): Promise<number> {
  const dirs = Array.from({ length: 5 }, (_, i) => tempDirRemovable(`bench-concurrent-${i}`));
  const alice = await openSigner(dirs[0]!.dir, MemoryDevice.fromByte(0xa2));
  const pairs: ChannelPair[] = [];
  for (let i = 0; i < 4; i++) pairs.push(await openChannel({ alice, bob: await openSigner(dirs[i + 1]!.dir, MemoryDevice.fromByte(0xd0 + i)) }, 'anchors', 20 + i));
  const perPair = 100;
  const started = performance.now();
  await Promise.all(pairs.map((pp) => timedRounds(pp, perPair)));
  const seconds = (performance.now() - started) / 1000;
  await alice.close();
  for (const pp of pairs) await pp.signers.bob.close();
  for (const d of dirs) d.remove();
  return Math.round((pairs.length * perPair * 2) / seconds);
}

export async function run() {
  const env = { VIGIL_HSM_PASSPHRASE: 'bench passphrase' };
  const emulatorDir = tempDirRemovable('bench-emulator');
  const signerDir = tempDirRemovable('bench-signer');
  const init = await runVigil(['hsm-emulator', 'init', '--data-dir', emulatorDir.dir], env);
  if (init.code !== 0) throw new Error(`hsm-emulator init failed: ${init.stderr}`);
  const emulator = await startVigil<{ listening: { port: number } }>(['hsm-emulator', '--data-dir', emulatorDir.dir, '--port', '0', '--screen', 'approve-all', '--log-level', 'warn'], env);
  const signerInit = await runVigil(['signer', 'init', '--data-dir', signerDir.dir]);
  if (signerInit.code !== 0) throw new Error(`signer init failed: ${signerInit.stderr}`);
  const signer = await startVigil<{ listening: { port: number }; node_id: string }>(['signer', 'run', '--data-dir', signerDir.dir, '--device-port', String(emulator.ready.listening.port), '--log-level', 'warn']);
  const p = paths(signerDir.dir);
  const client = new SignerClient({
    address: `127.0.0.1:${signer.ready.listening.port}`,
    caPem: readFileSync(p.caCert, 'utf8'),
    certPem: readFileSync(p.nodeCert, 'utf8'),
    keyPem: readFileSync(p.nodeKey, 'utf8'),
  });
  // Alice as the node sees her: a gRPC client with the signer's node id.
  const remoteAlice = { call: (method: string, request: object) => client.call(method, request), nodeId: Buffer.from(signer.ready.node_id, 'hex') } as unknown as SignerService;
  try {
    const pair = await openChannel({ alice: remoteAlice, bob: await counterparty(0xb2) }, 'anchors', 2);
    const plain = await timedRounds(pair, ROUNDS);
    await addTenHtlcs(pair, 1);
    const withHtlcs = await timedRounds(pair, 100);

    // Throughput: four channels doing rounds at once; every request Alice answers is counted.
    const pairs: ChannelPair[] = [];
    for (let i = 0; i < 4; i++) pairs.push(await openChannel({ alice: remoteAlice, bob: await counterparty(0xc0 + i) }, 'anchors', 10 + i));
    const started = performance.now();
    const perPair = 50;
    await Promise.all(pairs.map((pp) => timedRounds(pp, perPair)));
    const aliceRequests = pairs.length * perPair * 2; // SignCounterpartyCommitment + ValidateCounterpartyRevocation per round
    const seconds = (performance.now() - started) / 1000;
    const local = await inProcess();
    const localConcurrent = await inProcessConcurrent();
    return {
      sign_counterparty_commitment_p50_ms: round2(percentile(plain, 50)),
      sign_counterparty_commitment_p99_ms: round2(percentile(plain, 99)),
      with_10_htlcs_p50_ms: round2(percentile(withHtlcs, 50)),
      in_process_p50_ms: round2(percentile(local, 50)),
      requests_per_s: Math.round(aliceRequests / seconds),
      in_process_requests_per_s: localConcurrent,
      samples: { sequential: plain.length, with_10_htlcs: withHtlcs.length, in_process: local.length },
    };
  } finally {
    client.close();
    await signer.stop();
    await emulator.stop();
    signerDir.remove();
    emulatorDir.remove();
  }
}
