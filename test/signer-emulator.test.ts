// The signer against real `vigil hsm-emulator` child processes (one per party, over loopback TCP with
// signer/device/emulator-client.ts): a channel opened, paid through and closed both ways, every signed
// transaction checked by the script interpreter, and the same keys as the in-memory device derives.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { equal, hex } from '../bolt/bytes.js';
import { compareOutputs, encodeScriptSignature, fundingWitness, serializeTransaction, SIGHASH_ALL, withWitness, type Transaction } from '../bolt/bolt3/index.js';
import { EmulatorDevice } from '../signer/device/emulator-client.js';
import type { SignerService } from '../signer/service/index.js';
import { assertInputsValid } from './helpers/interpreter.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { FUNDING_SAT, openChannel, openSigner, tempDir, type Side } from './helpers/signer-pair.js';

// As test/hsm-emulator.test.ts runs it: compiled, the real CLI; from the sources, the same command
// module through tsx (bin/vigil.js only finds compiled commands).
const compiled = import.meta.url.endsWith('.js');
const repoRoot = fileURLToPath(new URL(compiled ? '../../' : '../', import.meta.url));
function commandArgs(args: readonly string[]): string[] {
  if (compiled) return [fileURLToPath(new URL('../bin/vigil.js', import.meta.url)), 'hsm-emulator', ...args];
  const mod = new URL('../cli/commands/hsm-emulator.ts', import.meta.url).href;
  const entry = `const { command } = await import(${JSON.stringify(mod)}); process.exitCode = await command.run(process.argv.slice(1));`;
  return ['--import', 'tsx', '--input-type=module', '--eval', entry, '--', ...args];
}

const PASSPHRASE = 'signer test passphrase';
const env = { ...process.env, VIGIL_HSM_PASSPHRASE: PASSPHRASE };
const dirs: string[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
const devices: EmulatorDevice[] = [];

async function run(args: readonly string[]): Promise<void> {
  const child = spawn(process.execPath, commandArgs(args), { cwd: repoRoot, env });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 0, stderr);
}

/** Initializes an emulator with the test mnemonic of `byte`, serves it, and connects to it. */
async function emulator(byte: number): Promise<EmulatorDevice> {
  const dir = tempDir(`emu-${byte}`);
  dirs.push(dir);
  const mnemonicFile = join(dir, 'mnemonic.txt');
  writeFileSync(mnemonicFile, MemoryDevice.mnemonicOf(byte) + '\n');
  await run(['init', '--data-dir', join(dir, 'hsm'), '--mnemonic-file', mnemonicFile]);
  const child = spawn(process.execPath, commandArgs(['serve', '--data-dir', join(dir, 'hsm'), '--port', '0', '--screen', 'approve-all', '--log-level', 'silent']), { cwd: repoRoot, env });
  children.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('close', (code) => reject(new Error(`emulator exited (${code}) before listening:\n${stderr}`)));
  });
  const { listening } = JSON.parse(first) as { listening: { port: number } };
  const device = await EmulatorDevice.connect({ port: listening.port });
  devices.push(device);
  return device;
}

let signers: Record<Side, SignerService>;

before(async () => {
  const [a, b] = await Promise.all([emulator(81), emulator(82)]);
  const da = tempDir('emu-signer-a');
  const db = tempDir('emu-signer-b');
  dirs.push(da, db);
  signers = { alice: await openSigner(da, a), bob: await openSigner(db, b) };
});

after(async () => {
  await signers?.alice.close();
  await signers?.bob.close();
  for (const d of devices) await d.close();
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      await once(c, 'close');
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('the emulator derives the same node key as the in-memory device from the same seed', async () => {
  const memory = tempDir('emu-compare');
  dirs.push(memory);
  const s = await openSigner(memory, MemoryDevice.fromByte(81));
  assert.ok(equal(s.nodeId, signers.alice.nodeId));
  await s.close();
});

test('a channel over two emulators: payments both ways, an approval on the device, mutual close and a force close', async () => {
  const pair = await openChannel(signers, 'anchors');
  assertInputsValid(hex(pair.signedFunding!), [{ scriptPubKeyHex: hex(pair.walletUtxo!.script), amountSat: pair.walletUtxo!.amountSat }]);
  const h1 = await pair.pay('alice', 150_000_000n, 1); // above the approval threshold: the emulator's screen approves
  await pair.update();
  pair.fulfill(h1);
  await pair.update();
  const h2 = await pair.pay('bob', 10_000_000n, 2);
  await pair.update();
  pair.fulfill(h2);
  await pair.update();

  // Force-close transaction of Alice's latest commitment (signed, not broadcast: the channel goes on to a mutual close).
  const broadcast = await pair.call('alice', 'SignHolderCommitmentForBroadcast', { channel: pair.ref });
  assertInputsValid(hex(broadcast['transaction']), [{ scriptPubKeyHex: hex(pair.fundingScriptPubKey()), amountSat: FUNDING_SAT }]);

  const fee = 2000n;
  const scripts = { alice: (await pair.call('alice', 'NewAddress', {}))['script_pubkey'], bob: (await pair.call('bob', 'NewAddress', {}))['script_pubkey'] };
  const amounts = { alice: pair.balance.alice / 1000n - fee, bob: pair.balance.bob / 1000n };
  const sigs = { alice: Buffer.alloc(0), bob: Buffer.alloc(0) };
  for (const side of ['alice', 'bob'] as const) {
    const them = side === 'alice' ? 'bob' : 'alice';
    const r = await pair.call(side, 'SignMutualClose', {
      channel: pair.ref,
      holder_script: scripts[side],
      holder_sat: amounts[side].toString(),
      counterparty_script: scripts[them],
      counterparty_sat: amounts[them].toString(),
      fee_sat: fee.toString(),
      locktime: 700,
    });
    sigs[side] = r['signature'];
  }
  const unsigned: Transaction = {
    version: 2,
    locktime: 700,
    inputs: [{ txid: Uint8Array.from(pair.fundingTxid).reverse(), vout: 0, sequence: 0xfffffffd, scriptSig: new Uint8Array(0), witness: [] }],
    outputs: [
      { amountSat: amounts.alice, script: scripts.alice },
      { amountSat: amounts.bob, script: scripts.bob },
    ].sort(compareOutputs),
  };
  const witness = fundingWitness(pair.basepoints.alice.fundingPubkey, encodeScriptSignature(sigs.alice, SIGHASH_ALL), pair.basepoints.bob.fundingPubkey, encodeScriptSignature(sigs.bob, SIGHASH_ALL));
  assertInputsValid(hex(serializeTransaction(withWitness(unsigned, 0, witness))), [{ scriptPubKeyHex: hex(pair.fundingScriptPubKey()), amountSat: FUNDING_SAT }]);
});
