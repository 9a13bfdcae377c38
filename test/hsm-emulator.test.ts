// `vigil hsm-emulator` as the signer meets it: a real child process on real loopback TCP, driven with
// the signer's client (signer/device/emulator-client.ts), and every answer checked against an
// independent derivation from the same mnemonic (@scure/bip32 here, BOLT 3 from bolt/bolt3).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HDKey } from '@scure/bip32';
import { generateMnemonic, mnemonicToEntropy, mnemonicToSeedSync } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import {
  CLA,
  decodeCommand,
  decodeRequest,
  decodeResponse,
  encodeCommand,
  encodeRequest,
  frame,
  FrameSplitter,
  INSTRUCTIONS,
  MAX_COMMAND_BYTES,
  signBatches,
  signItemBytes,
  SW,
  type InstructionName,
  type SignItem,
} from '../bolt/apdu.js';
import { deriveRevocationPubkey, derivePubkey } from '../bolt/bolt3/keys.js';
import { FIRST_COMMITMENT_INDEX, perCommitmentPoint, perCommitmentSecret, ShachainStore } from '../bolt/bolt3/per-commitment.js';
import { concat, equal, hex, u32be, u64be } from '../bolt/bytes.js';
import { hmacSha256, sha256 } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { hardened, type DerivationPath } from '../signer/device/device.js';
import { DeviceStatusError, EmulatorDevice } from '../signer/device/emulator-client.js';

// ---- running the command ----

// Compiled (dist/test/): the real CLI, dist/bin/vigil.js. From source (tsx): the same command module
// through tsx's loader, since bin/vigil.js only finds compiled commands.
const compiled = import.meta.url.endsWith('.js');
const repoRoot = fileURLToPath(new URL(compiled ? '../../' : '../', import.meta.url));

function commandArgs(args: readonly string[]): string[] {
  if (compiled) return [fileURLToPath(new URL('../bin/vigil.js', import.meta.url)), 'hsm-emulator', ...args];
  const mod = new URL('../cli/commands/hsm-emulator.ts', import.meta.url).href;
  const entry = `const { command } = await import(${JSON.stringify(mod)}); process.exitCode = await command.run(process.argv.slice(1));`;
  return ['--import', 'tsx', '--input-type=module', '--eval', entry, '--', ...args];
}

const PASSPHRASE = 'correct horse battery staple #7c1e';

/** The child's environment: VIGIL_HSM_PASSPHRASE set to `passphrase`, or absent for null. */
function childEnv(passphrase: string | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['VIGIL_HSM_PASSPHRASE'];
  if (passphrase !== null) env['VIGIL_HSM_PASSPHRASE'] = passphrase;
  return env;
}

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the command to completion. */
async function runVigil(args: readonly string[], passphrase: string | null = PASSPHRASE): Promise<Exited> {
  const child = spawn(process.execPath, commandArgs(args), { cwd: repoRoot, env: childEnv(passphrase) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end();
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}

interface Listening {
  host: string;
  port: number;
  automation?: { host: string; port: number };
}

class RunningEmulator {
  stderr = '';
  stdoutLines: string[] = [];
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  listening!: Listening;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  }

  get automationUrl(): string {
    assert.ok(this.listening.automation, 'started without --automation-port');
    return `http://127.0.0.1:${this.listening.automation.port}`;
  }

  device(): Promise<EmulatorDevice> {
    return EmulatorDevice.connect({ host: '127.0.0.1', port: this.listening.port });
  }

  /** Resolves once stderr contains `text` (the console prompt, a log line), or rejects if the process exits. */
  async stderrContains(text: string): Promise<void> {
    while (!this.stderr.includes(text)) {
      if (this.child.exitCode !== null) throw new Error(`emulator exited before printing ${JSON.stringify(text)}:\n${this.stderr}`);
      await once(this.child.stderr, 'data');
    }
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return (await this.exited)[0];
  }
}

const running = new Set<RunningEmulator>();

/** Starts `vigil hsm-emulator --data-dir D --port 0 ...` and waits for its "listening" line. */
async function startEmulator(dataDir: string, extra: readonly string[] = ['--screen', 'approve-all'], passphrase: string | null = PASSPHRASE): Promise<RunningEmulator> {
  const child = spawn(process.execPath, commandArgs(['--data-dir', dataDir, '--port', '0', ...extra]), { cwd: repoRoot, env: childEnv(passphrase) });
  const emulator = new RunningEmulator(child);
  running.add(emulator);
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('close', (code) => reject(new Error(`emulator exited (${code}) before listening:\n${emulator.stderr}`)));
  });
  lines.on('line', (l) => emulator.stdoutLines.push(l));
  const parsed = JSON.parse(first) as { listening: Listening };
  emulator.listening = parsed.listening;
  return emulator;
}

after(async () => {
  await Promise.all([...running].map((e) => e.stop()));
});

// ---- the independent view of the same keys ----

const mnemonic = generateMnemonic(wordlist, 256);
const root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic));
const pathString = (path: DerivationPath): string =>
  ['m', ...path.map((n) => (n >= 0x80000000 ? `${n - 0x80000000}'` : String(n)))].join('/');
const expectedNode = (path: DerivationPath): HDKey => root.derive(pathString(path));
const expectedPrivateKey = (path: DerivationPath): Uint8Array => expectedNode(path).privateKey!;
const expectedPublicKey = (path: DerivationPath): Uint8Array => expectedNode(path).publicKey!;
/** device-protocol.md §PER_COMMITMENT_SECRET: the shachain seed is HMAC-SHA256(key at path, label). */
const expectedShachainSeed = (path: DerivationPath): Uint8Array =>
  hmacSha256(expectedPrivateKey(path), new TextEncoder().encode('vigil/per-commitment-seed/v1'));

// Paths as a signer would use them: a node key, and a channel's basepoints.
const NODE_KEY: DerivationPath = [hardened(1017), hardened(0), hardened(0)];
const channel = (i: number): DerivationPath => [hardened(1017), hardened(1), hardened(7), hardened(i)];
const FUNDING = channel(0);
const REVOCATION_BASE = channel(1);
const PAYMENT_BASE = channel(2);
const SHACHAIN = channel(5);
const UNHARDENED: DerivationPath = [hardened(84), hardened(1), hardened(0), 0, 5];

const digestOf = (label: string): Uint8Array => sha256(new TextEncoder().encode(label));

let work: string;
let dataDir: string;
let mnemonicFile: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'vigil-hsm-'));
  dataDir = join(work, 'device');
  mnemonicFile = join(work, 'mnemonic.txt');
  writeFileSync(mnemonicFile, mnemonic + '\n', { mode: 0o600 });
  const r = await runVigil(['init', '--data-dir', dataDir, '--mnemonic-file', mnemonicFile]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { initialized: { seedFile: string; fingerprint: string; words: number; generated: boolean } };
  assert.equal(out.initialized.seedFile, join(dataDir, 'seed.enc'));
  assert.equal(out.initialized.fingerprint, root.fingerprint.toString(16).padStart(8, '0'));
  assert.equal(out.initialized.words, 24);
  assert.equal(out.initialized.generated, false);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// ---- the shared codec (bolt/apdu.ts), in process ----

describe('bolt/apdu.ts codec', () => {
  test('every instruction request encodes and decodes back to itself, with its INS byte', () => {
    const digest = new Uint8Array(32).fill(5);
    const requests: { [N in InstructionName]: { request: unknown; p1?: number } } = {
      GET_VERSION: { request: {} },
      GET_FINGERPRINT: { request: {} },
      GET_PUBLIC_KEY: { request: { path: NODE_KEY } },
      GET_XPUB: { request: { path: [] }, p1: 1 },
      SIGN: { request: { path: FUNDING, digest, tweak: { kind: 'add', tweak: digest } } },
      SIGN_RECOVERABLE: { request: { path: [0], digest, tweak: { kind: 'revocation', perCommitmentSecret: digest } } },
      SIGN_BATCH: {
        request: {
          items: [
            { path: FUNDING, digest, tweak: { kind: 'none' } },
            { path: PAYMENT_BASE, digest, tweak: { kind: 'add', tweak: digest } },
            { path: [], digest, tweak: { kind: 'revocation', perCommitmentSecret: digest } },
          ],
        },
      },
      ECDH: { request: { path: NODE_KEY, point: secp.publicKey(digest) } },
      PER_COMMITMENT_POINT: { request: { path: SHACHAIN, index: FIRST_COMMITMENT_INDEX } },
      PER_COMMITMENT_SECRET: { request: { path: SHACHAIN, index: 0n } },
      CONFIRM: { request: { text: 'Pay 1 sat\nto café' } },
    };
    for (const name of Object.keys(requests) as InstructionName[]) {
      const { request, p1 = 0 } = requests[name];
      const body = encodeRequest(name, request as never, p1);
      const cmd = decodeCommand(body);
      assert.equal(cmd.ins, INSTRUCTIONS[name].ins, name);
      assert.equal(cmd.p1, p1, name);
      assert.deepEqual(decodeRequest(name, cmd), request, name);
    }
    console.log(`device-protocol request codecs: ${Object.keys(requests).length} cases`);
  });

  test('the frame splitter reassembles frames cut anywhere and stops at an oversized prefix', () => {
    const frames = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(9)];
    const stream = concat(...frames.map(frame));
    for (let cut = 0; cut <= stream.length; cut += 7) {
      const splitter = new FrameSplitter(1000);
      const got = [...splitter.push(stream.subarray(0, cut)).frames, ...splitter.push(stream.subarray(cut)).frames];
      assert.deepEqual(got, frames, `cut at ${cut}`);
      assert.equal(splitter.buffered, 0);
    }
    const splitter = new FrameSplitter(10);
    const r = splitter.push(concat(frame(Uint8Array.of(1)), u32be(11), new Uint8Array(11)));
    assert.deepEqual(r.frames, [Uint8Array.of(1)]);
    assert.equal(r.oversized, 11);
    assert.deepEqual(splitter.push(frame(Uint8Array.of(2))).frames, [], 'nothing after an oversized prefix');
  });

  test('signBatches cuts a long list into SIGN_BATCH requests within the 64-signature and 4096-byte limits, in order', () => {
    const digest = new Uint8Array(32).fill(3);
    const plain = (i: number): SignItem => ({ path: [hardened(1017), 1, i], digest, tweak: { kind: 'none' } });
    const tweaked = (i: number): SignItem => ({ path: [...PAYMENT_BASE, 0, 0, 0, 0, 0, i], digest, tweak: { kind: 'add', tweak: digest } });
    assert.deepEqual(signBatches([]), []);
    const cases: { name: string; items: SignItem[]; sizes: number[] }[] = [
      { name: 'one', items: [plain(0)], sizes: [1] },
      // 46 bytes each: the count limit binds first.
      { name: '130 small items', items: Array.from({ length: 130 }, (_, i) => plain(i)), sizes: [64, 64, 2] },
      // 1 + 4*10 + 32 + 33 = 106 bytes each: 38 fit in 4095 bytes after the count byte.
      { name: '100 deep tweaked items', items: Array.from({ length: 100 }, (_, i) => tweaked(i)), sizes: [38, 38, 24] },
    ];
    for (const c of cases) {
      const batches = signBatches(c.items);
      assert.deepEqual(batches.map((b) => b.length), c.sizes, c.name);
      assert.deepEqual(batches.flat(), c.items, `${c.name}: every item once, in order`);
      for (const b of batches) assert.ok(encodeRequest('SIGN_BATCH', { items: b }).length <= MAX_COMMAND_BYTES, `${c.name}: each request fits a frame`);
    }
    assert.equal(signItemBytes(tweaked(0)), 106);
    assert.throws(() => encodeRequest('SIGN_BATCH', { items: [] }), /batch of 0 signatures, 1\.\.64 allowed/);
    assert.throws(() => encodeRequest('SIGN_BATCH', { items: Array.from({ length: 65 }, (_, i) => plain(i)) }), /batch of 65 signatures/);
    console.log(`device-protocol SIGN_BATCH splits: ${cases.length} cases`);
  });

  test('the encoder refuses what the protocol cannot carry', () => {
    assert.throws(() => encodeRequest('GET_PUBLIC_KEY', { path: [2 ** 32] }), /path\[0\] is not a u32/);
    assert.throws(() => encodeRequest('GET_XPUB', { path: [] }, 2), /P1 2 is not one of 0, 1/);
    assert.throws(() => encodeRequest('SIGN', { path: [], digest: new Uint8Array(31), tweak: { kind: 'none' } }), /digest must be 32 bytes/);
    assert.throws(() => encodeRequest('CONFIRM', { text: '' }), /confirmation text is empty/);
    assert.throws(() => encodeRequest('CONFIRM', { text: 'a\rb' }), /control character U\+000d/);
    assert.throws(() => encodeRequest('CONFIRM', { text: 'é'.repeat(513) }), /1026 bytes, at most 1024/);
    assert.throws(() => encodeCommand({ cla: CLA, ins: 1, p1: 0, p2: 0, data: new Uint8Array(4097) }), /at most 4096/);
  });
});

// ---- seed at rest ----

describe('seed file', () => {
  test('init writes an encrypted seed file, mode 0600, that holds neither the words nor the entropy', () => {
    const bytes = readFileSync(join(dataDir, 'seed.enc'));
    const text = bytes.toString('latin1');
    for (const word of new Set(mnemonic.split(' '))) if (word.length >= 5) assert.ok(!text.includes(word), 'a seed word is in the file');
    const entropy = mnemonicToEntropy(mnemonic, wordlist);
    assert.ok(!bytes.includes(Buffer.from(entropy)), 'the entropy is in the file in clear');
    assert.equal(bytes.subarray(0, 5).toString('latin1'), 'VHSM\x01', 'magic and version byte');
    assert.equal(bytes.length, 36 + 32 + 16, 'header, 32 bytes of entropy, tag');
  });

  test('init refuses to overwrite an existing seed and leaves it byte-for-byte unchanged', async () => {
    const before = readFileSync(join(dataDir, 'seed.enc'));
    const other = join(work, 'other-mnemonic.txt');
    writeFileSync(other, generateMnemonic(wordlist, 128));
    const r = await runVigil(['init', '--data-dir', dataDir, '--mnemonic-file', other]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /a seed file already exists; refusing to overwrite it/);
    assert.deepEqual(readFileSync(join(dataDir, 'seed.enc')), before);
  });

  test('init refuses a mnemonic with a bad checksum without repeating its words', async () => {
    const words = mnemonic.split(' ');
    words[23] = words[23] === 'zoo' ? 'abandon' : 'zoo';
    const bad = join(work, 'bad-mnemonic.txt');
    writeFileSync(bad, words.join(' '));
    const r = await runVigil(['init', '--data-dir', join(work, 'never'), '--mnemonic-file', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a valid BIP39 English mnemonic/);
    assert.ok(!r.stderr.includes(words.slice(0, 3).join(' ')));
  });

  test('init without a passphrase exits 1 naming both ways to give one', async () => {
    const r = await runVigil(['init', '--data-dir', join(work, 'never')], null);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no passphrase: set VIGIL_HSM_PASSPHRASE or pass --passphrase-file/);
  });

  test('init generates a 24-word mnemonic when none is given, shown only with --show-mnemonic; --passphrase-file works', async () => {
    const dir = join(work, 'generated');
    const passFile = join(work, 'pass.txt');
    writeFileSync(passFile, 'from a file\n');
    const r = await runVigil(['init', '--data-dir', dir, '--passphrase-file', passFile, '--show-mnemonic'], null);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { initialized: { mnemonic: string; fingerprint: string; generated: boolean } };
    assert.equal(out.initialized.generated, true);
    assert.equal(out.initialized.mnemonic.split(' ').length, 24);
    const fp = HDKey.fromMasterSeed(mnemonicToSeedSync(out.initialized.mnemonic)).fingerprint;
    assert.equal(out.initialized.fingerprint, fp.toString(16).padStart(8, '0'));
    // The passphrase file's trailing newline is not part of the passphrase.
    const emu = await startEmulator(dir, ['--screen', 'approve-all', '--passphrase-file', passFile], null);
    const device = await emu.device();
    assert.equal(await device.fingerprint(), fp);
    await device.close();
    assert.equal(await emu.stop(), 0);
  });

  test('a wrong passphrase exits 1 with a clear message, prints no listening line, and changes nothing', async () => {
    const before = readFileSync(join(dataDir, 'seed.enc'));
    const r = await runVigil(['--data-dir', dataDir, '--port', '0', '--screen', 'approve-all'], 'not the passphrase');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /seed\.enc: cannot decrypt: wrong passphrase, or the file was modified/);
    assert.deepEqual(readFileSync(join(dataDir, 'seed.enc')), before);
  });

  test('a tampered, truncated or foreign seed file is refused, naming what is wrong, and left as it was', async () => {
    const original = readFileSync(join(dataDir, 'seed.enc'));
    const cases: { name: string; bytes: Uint8Array; message: RegExp }[] = [
      { name: 'ciphertext byte flipped', bytes: flip(original, 40), message: /cannot decrypt: wrong passphrase, or the file was modified/ },
      { name: 'tag byte flipped', bytes: flip(original, original.length - 1), message: /cannot decrypt/ },
      { name: 'salt byte flipped', bytes: flip(original, 10), message: /cannot decrypt/ },
      { name: 'scrypt r changed (authenticated header)', bytes: withByte(original, 6, 9), message: /cannot decrypt/ },
      { name: 'scrypt N out of range', bytes: withByte(original, 5, 31), message: /scrypt log2\(N\) 31 is outside 14\.\.20/ },
      { name: 'truncated', bytes: original.subarray(0, 60), message: /truncated: 60 bytes/ },
      { name: 'truncated by one byte', bytes: original.subarray(0, original.length - 1), message: /truncated or padded/ },
      { name: 'empty', bytes: new Uint8Array(0), message: /truncated: 0 bytes/ },
      { name: 'bad magic', bytes: withByte(original, 0, 0x58), message: /not a Vigil HSM seed file/ },
      { name: 'unknown version', bytes: withByte(original, 4, 2), message: /unsupported seed file version 2/ },
    ];
    await Promise.all(
      cases.map(async (c) => {
        const dir = join(work, `tampered-${c.name.replace(/\W+/g, '-')}`);
        cpSync(dataDir, dir, { recursive: true });
        writeFileSync(join(dir, 'seed.enc'), c.bytes);
        const r = await runVigil(['--data-dir', dir, '--port', '0', '--screen', 'approve-all']);
        assert.equal(r.code, 1, c.name);
        assert.equal(r.stdout, '', c.name);
        assert.match(r.stderr, c.message, c.name);
        assert.deepEqual(readFileSync(join(dir, 'seed.enc')), Buffer.from(c.bytes), `${c.name}: file unchanged`);
      }),
    );
    console.log(`hsm-emulator refused seed files: ${cases.length} cases`);
  });

  test('serving without a seed file says to run init first', async () => {
    const r = await runVigil(['--data-dir', join(work, 'empty-dir'), '--port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no seed file \(run "vigil hsm-emulator init --data-dir .*" first\)/);
  });
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at]! ^= 0x01;
  return out;
}

function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at] = value;
  return out;
}

// ---- keys, signatures, ECDH, per-commitment secrets ----

describe('device operations over TCP', () => {
  let emu: RunningEmulator;
  let device: EmulatorDevice;
  before(async () => {
    emu = await startEmulator(dataDir);
    device = await emu.device();
  });
  after(async () => {
    await device.close();
    assert.equal(await emu.stop(), 0, 'SIGTERM stops it cleanly');
  });

  test('it listens on 127.0.0.1 and reports protocol 1 and the master fingerprint', async () => {
    assert.equal(emu.listening.host, '127.0.0.1');
    assert.deepEqual(await device.version(), { protocolVersion: 1, deviceName: 'vigil-hsm-emulator' });
    assert.equal(await device.fingerprint(), root.fingerprint);
  });

  test('getPublicKey equals an independent BIP32 derivation from the same mnemonic, hardened or not', async () => {
    const paths = [[], NODE_KEY, FUNDING, REVOCATION_BASE, UNHARDENED, [0], [hardened(0), 1, 2, 3, 4, 5, 6, 7, 8, 9]];
    for (const path of paths) assert.equal(hex(await device.getPublicKey(path)), hex(expectedPublicKey(path)), pathString(path));
    console.log(`hsm-emulator public keys: ${paths.length} cases`);
  });

  test('getXpub returns the xpub (and tpub) of the path, never an xprv', async () => {
    const path = [hardened(84), hardened(0), hardened(0)];
    const xpub = await device.getXpub(path);
    assert.equal(xpub, expectedNode(path).publicExtendedKey);
    assert.ok(xpub.startsWith('xpub'));
    const tpub = await device.getXpub(path, 'testnet');
    assert.ok(tpub.startsWith('tpub'));
    const parsed = HDKey.fromExtendedKey(tpub, { private: 0x04358394, public: 0x043587cf });
    assert.equal(parsed.privateKey, null);
    assert.equal(hex(parsed.publicKey!), hex(expectedPublicKey(path)));
    assert.equal(hex(parsed.chainCode!), hex(expectedNode(path).chainCode!));
  });

  test('sign without a tweak gives a low-S signature that verifies under the key at the path', async () => {
    for (const [i, path] of [NODE_KEY, FUNDING, UNHARDENED].entries()) {
      const digest = digestOf(`message ${i}`);
      const sig = await device.sign(path, digest);
      assert.equal(sig.length, 64);
      assert.ok(secp.verify(sig, digest, expectedPublicKey(path)), pathString(path));
      assert.ok(!secp.verify(sig, digestOf('another message'), expectedPublicKey(path)));
      // RFC 6979: the same request signs the same way.
      assert.deepEqual(await device.sign(path, digest), sig);
      // low-S: s <= n/2
      assert.ok(BigInt('0x' + hex(sig.subarray(32))) <= 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n);
    }
  });

  test('sign with an add tweak verifies under BOLT 3 derivePubkey(basepoint, per_commitment_point)', async () => {
    const basepoint = expectedPublicKey(PAYMENT_BASE);
    for (let n = 0; n < 3; n++) {
      const perCommitment = perCommitmentPoint(perCommitmentSecret(sha256(Uint8Array.of(n)), FIRST_COMMITMENT_INDEX - BigInt(n)));
      const tweak = sha256(concat(perCommitment, basepoint)); // BOLT 3 §localpubkey Derivation
      const digest = digestOf(`htlc tx ${n}`);
      const sig = await device.sign(PAYMENT_BASE, digest, { kind: 'add', tweak });
      const derived = derivePubkey(basepoint, perCommitment);
      assert.deepEqual(derived, secp.publicKeyTweakAdd(basepoint, tweak));
      assert.ok(secp.verify(sig, digest, derived));
      assert.ok(!secp.verify(sig, digest, basepoint), 'not the untweaked key');
    }
  });

  test('sign with a revocation tweak verifies under BOLT 3 deriveRevocationPubkey', async () => {
    const revocationBasepoint = expectedPublicKey(REVOCATION_BASE);
    const theirSeed = sha256(new TextEncoder().encode('counterparty shachain seed'));
    for (const index of [FIRST_COMMITMENT_INDEX, FIRST_COMMITMENT_INDEX - 1n, 12345n]) {
      const theirSecret = perCommitmentSecret(theirSeed, index);
      const digest = digestOf(`penalty ${index}`);
      const sig = await device.sign(REVOCATION_BASE, digest, { kind: 'revocation', perCommitmentSecret: theirSecret });
      const revocationPubkey = deriveRevocationPubkey(revocationBasepoint, perCommitmentPoint(theirSecret));
      assert.ok(secp.verify(sig, digest, revocationPubkey), `index ${index}`);
    }
  });

  test('signRecoverable recovers to the signing key, with and without a tweak', async () => {
    const digest = digestOf('lnbc invoice hrp and data');
    const r = await device.signRecoverable(NODE_KEY, digest);
    assert.ok(r.recovery >= 0 && r.recovery <= 3);
    assert.deepEqual(secp.recover(r.signature, r.recovery, digest), expectedPublicKey(NODE_KEY));
    assert.deepEqual(r.signature, await device.sign(NODE_KEY, digest), 'same signature as SIGN');
    const tweak = sha256(Uint8Array.of(9));
    const t = await device.signRecoverable(FUNDING, digest, { kind: 'add', tweak });
    assert.deepEqual(secp.recover(t.signature, t.recovery, digest), secp.publicKeyTweakAdd(expectedPublicKey(FUNDING), tweak));
  });

  test('ecdh equals the other side computing it with its own key', async () => {
    for (let i = 1; i <= 3; i++) {
      const theirKey = sha256(Uint8Array.of(0xec, i));
      const shared = await device.ecdh(NODE_KEY, secp.publicKey(theirKey));
      assert.deepEqual(shared, secp.ecdh(theirKey, expectedPublicKey(NODE_KEY)));
    }
  });

  test('per-commitment secrets and points follow BOLT 3 from the seed the protocol spec defines', async () => {
    const seed = expectedShachainSeed(SHACHAIN);
    const indexes = [FIRST_COMMITMENT_INDEX, FIRST_COMMITMENT_INDEX - 1n, FIRST_COMMITMENT_INDEX - 2n, 1n << 40n, 1n, 0n];
    for (const index of indexes) {
      const secret = await device.perCommitmentSecret(SHACHAIN, index);
      assert.deepEqual(secret, perCommitmentSecret(seed, index), `secret ${index}`);
      const point = await device.perCommitmentPoint(SHACHAIN, index);
      assert.deepEqual(point, perCommitmentPoint(secret), `point ${index}`);
    }
    console.log(`hsm-emulator per-commitment: ${indexes.length} cases`);
  });

  test('the secrets it reveals in order are accepted by a counterparty shachain store', async () => {
    const store = new ShachainStore();
    for (let n = 0n; n < 20n; n++) {
      const index = FIRST_COMMITMENT_INDEX - n;
      store.insert(index, await device.perCommitmentSecret(SHACHAIN, index));
    }
    assert.equal(store.lowestIndex, FIRST_COMMITMENT_INDEX - 19n);
  });

  test('no answer is ever a private key: index 0 reveals a derived seed, not the key at the path', async () => {
    const privateKey = expectedPrivateKey(SHACHAIN);
    const revealed = await device.perCommitmentSecret(SHACHAIN, 0n);
    assert.ok(!equal(revealed, privateKey));
    assert.deepEqual(revealed, expectedShachainSeed(SHACHAIN));
    // The same path's key still signs, and what was revealed does not sign for it.
    const digest = digestOf('funding');
    assert.ok(secp.verify(await device.sign(SHACHAIN, digest), digest, expectedPublicKey(SHACHAIN)));
    assert.ok(!equal(secp.publicKey(revealed), expectedPublicKey(SHACHAIN)));
  });

  test('signBatch returns exactly the signatures SIGN gives one at a time, over several SIGN_BATCH frames', async () => {
    const theirSecret = perCommitmentSecret(sha256(Uint8Array.of(0x5e)), FIRST_COMMITMENT_INDEX);
    const requests = Array.from({ length: 90 }, (_, i) => {
      const digest = digestOf(`batch item ${i}`);
      switch (i % 4) {
        case 0:
          return { path: FUNDING, digest }; // a commitment signature
        case 1:
          return { path: PAYMENT_BASE, digest, tweak: { kind: 'add' as const, tweak: sha256(Uint8Array.of(i)) } }; // an HTLC signature
        case 2:
          return { path: REVOCATION_BASE, digest, tweak: { kind: 'revocation' as const, perCommitmentSecret: theirSecret } }; // justice
        default:
          return { path: [...UNHARDENED.slice(0, 4), i], digest }; // a wallet input
      }
    });
    const batched = await device.signBatch(requests);
    assert.equal(batched.length, requests.length);
    for (const [i, r] of requests.entries()) {
      assert.deepEqual(batched[i], await device.sign(r.path, r.digest, r.tweak), `item ${i}`);
    }
    assert.deepEqual(await device.signBatch([]), [], 'an empty batch asks the device nothing');
    console.log(`hsm-emulator SIGN_BATCH against SIGN: ${requests.length} cases`);
  });

  test('signBatch is all or nothing: one unusable tweak refuses the batch with 6a80 naming the item', async () => {
    const n = Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'));
    const good = { path: FUNDING, digest: digestOf('fine') };
    await assert.rejects(device.signBatch([good, good, { path: FUNDING, digest: digestOf('x'), tweak: { kind: 'add', tweak: n } }, good]), (e: unknown) => {
      assert.ok(e instanceof DeviceStatusError);
      assert.equal(e.instruction, 'SIGN_BATCH');
      assert.equal(e.sw, SW.BAD_DATA);
      assert.match(e.reason, /^item 2: add tweak/);
      return true;
    });
    assert.equal((await device.signBatch([good]))[0]!.length, 64, 'still answering');
  });

  test('values the device cannot use are refused with 6a80 and a reason, and the connection goes on', async () => {
    const offCurve = Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)); // x >= p
    const n = Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'));
    const refusals: { name: string; run: () => Promise<unknown>; reason: RegExp }[] = [
      { name: 'ECDH point off the curve', run: () => device.ecdh(NODE_KEY, offCurve), reason: /ECDH: point: not a valid secp256k1 point/ },
      { name: 'add tweak equal to the group order', run: () => device.sign(FUNDING, digestOf('x'), { kind: 'add', tweak: n }), reason: /add tweak/ },
      { name: 'revocation with a zero secret', run: () => device.sign(REVOCATION_BASE, digestOf('x'), { kind: 'revocation', perCommitmentSecret: new Uint8Array(32) }), reason: /revocation tweak/ },
    ];
    for (const c of refusals) {
      await assert.rejects(c.run(), (e: unknown) => {
        assert.ok(e instanceof DeviceStatusError, c.name);
        assert.equal(e.sw, SW.BAD_DATA, c.name);
        assert.match(e.reason, c.reason, c.name);
        return true;
      });
    }
    // What the protocol cannot carry, the client refuses to encode (the raw tests below send it anyway).
    await assert.rejects(device.getPublicKey(new Array<number>(11).fill(0)), /path has 11 elements, at most 10/);
    await assert.rejects(device.perCommitmentSecret(SHACHAIN, 1n << 48n), /commitment index out of range/);
    assert.deepEqual(await device.getPublicKey(NODE_KEY), expectedPublicKey(NODE_KEY), 'still answering');
  });
});

// ---- malformed frames ----

/** A raw connection to send arbitrary bytes and read response frames. */
class RawConnection {
  readonly #splitter = new FrameSplitter(0x10000);
  readonly #frames: Uint8Array[] = [];
  readonly closed: Promise<unknown>;
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.#frames.push(...this.#splitter.push(new Uint8Array(chunk)).frames));
    this.closed = once(socket, 'close');
  }
  static async open(port: number): Promise<RawConnection> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawConnection(socket);
  }
  async next(): Promise<{ sw: number; data: Uint8Array }> {
    while (this.#frames.length === 0) {
      if (this.socket.destroyed) throw new Error('connection closed before a response');
      await Promise.race([once(this.socket, 'data'), this.closed]);
    }
    return decodeResponse(this.#frames.shift()!);
  }
  async exchange(body: Uint8Array): Promise<{ sw: number; data: Uint8Array }> {
    this.socket.write(frame(body));
    return this.next();
  }
}

const command = (ins: number, data: Uint8Array, p1 = 0, p2 = 0, cla = CLA): Uint8Array => encodeCommand({ cla, ins, p1, p2, data });
const pathBytes = (path: DerivationPath): Uint8Array => concat(Uint8Array.of(path.length), ...path.map(u32be));

describe('malformed frames', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator(dataDir, ['--screen', 'approve-all']);
  });
  after(async () => {
    assert.equal(await emu.stop(), 0);
  });

  test('each malformed command gets its status word and the server keeps answering on the same connection', async () => {
    const raw = await RawConnection.open(emu.listening.port);
    const digest = new Uint8Array(32).fill(7);
    const lc = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);
    const cases: { name: string; body: Uint8Array; sw: number }[] = [
      { name: 'empty frame', body: new Uint8Array(0), sw: SW.WRONG_LENGTH },
      { name: 'shorter than the header', body: Uint8Array.of(CLA, 0x10, 0), sw: SW.WRONG_LENGTH },
      { name: 'Lc larger than the data', body: concat(Uint8Array.of(CLA, 0x10, 0, 0), lc(5), Uint8Array.of(1, 2)), sw: SW.WRONG_LENGTH },
      { name: 'Lc smaller than the data', body: concat(Uint8Array.of(CLA, 0x10, 0, 0), lc(1), Uint8Array.of(0, 0)), sw: SW.WRONG_LENGTH },
      { name: 'Lc 0xffff', body: concat(Uint8Array.of(CLA, 0x01, 0, 0), lc(0xffff)), sw: SW.WRONG_LENGTH },
      { name: 'unknown CLA', body: command(0x01, new Uint8Array(0), 0, 0, 0x00), sw: SW.UNKNOWN_CLA },
      { name: 'unknown INS', body: command(0xee, new Uint8Array(0)), sw: SW.UNKNOWN_INS },
      { name: 'GET_PUBLIC_KEY with P1 1', body: command(0x10, pathBytes([0]), 1), sw: SW.WRONG_P1P2 },
      { name: 'GET_XPUB with P1 2', body: command(0x11, pathBytes([0]), 2), sw: SW.WRONG_P1P2 },
      { name: 'SIGN with P2 1', body: command(0x20, concat(pathBytes([0]), digest, Uint8Array.of(0)), 0, 1), sw: SW.WRONG_P1P2 },
      { name: 'GET_VERSION with data', body: command(0x01, Uint8Array.of(1)), sw: SW.BAD_DATA },
      { name: 'path of 11 elements', body: command(0x10, pathBytes(new Array<number>(11).fill(0))), sw: SW.BAD_DATA },
      { name: 'path shorter than its depth', body: command(0x10, Uint8Array.of(2, 0, 0, 0, 1)), sw: SW.BAD_DATA },
      { name: 'path then trailing bytes', body: command(0x10, concat(pathBytes([1]), Uint8Array.of(0))), sw: SW.BAD_DATA },
      { name: 'SIGN digest of 31 bytes', body: command(0x20, concat(pathBytes([0]), digest.subarray(1))), sw: SW.BAD_DATA },
      { name: 'SIGN without tweak byte', body: command(0x20, concat(pathBytes([0]), digest)), sw: SW.BAD_DATA },
      { name: 'SIGN tweak kind 7', body: command(0x20, concat(pathBytes([0]), digest, Uint8Array.of(7))), sw: SW.BAD_DATA },
      { name: 'SIGN add tweak cut short', body: command(0x20, concat(pathBytes([0]), digest, Uint8Array.of(1), digest.subarray(2))), sw: SW.BAD_DATA },
      { name: 'SIGN revocation secret zero', body: command(0x20, concat(pathBytes([0]), digest, Uint8Array.of(2), new Uint8Array(32))), sw: SW.BAD_DATA },
      { name: 'ECDH point not on the curve', body: command(0x30, concat(pathBytes([0]), Uint8Array.of(5), digest, Uint8Array.of(0))), sw: SW.BAD_DATA },
      { name: 'PER_COMMITMENT_SECRET index 2^48', body: command(0x41, concat(pathBytes([0]), u64be(1n << 48n))), sw: SW.BAD_DATA },
      { name: 'PER_COMMITMENT_POINT index of 4 bytes', body: command(0x40, concat(pathBytes([0]), u32be(1))), sw: SW.BAD_DATA },
      { name: 'CONFIRM empty text', body: command(0x50, new Uint8Array(0)), sw: SW.BAD_DATA },
      { name: 'CONFIRM invalid UTF-8', body: command(0x50, Uint8Array.of(0x50, 0x61, 0x79, 0xc3, 0x28)), sw: SW.BAD_DATA },
      { name: 'CONFIRM with an escape sequence', body: command(0x50, new TextEncoder().encode('ok\u001b[2J')), sw: SW.BAD_DATA },
      { name: 'CONFIRM over 1024 bytes', body: command(0x50, new Uint8Array(1025).fill(0x41)), sw: SW.BAD_DATA },
    ];
    for (const c of cases) {
      const r = await raw.exchange(c.body);
      assert.equal(r.sw.toString(16), c.sw.toString(16), c.name);
      if (c.sw !== SW.OK) assert.ok(r.data.every((b) => b >= 0x20 && b <= 0x7e), `${c.name}: data is an ASCII reason`);
    }
    console.log(`hsm-emulator malformed frames: ${cases.length} cases`);
    // A well-formed command on the same connection still works.
    const ok = await raw.exchange(command(0x10, pathBytes(NODE_KEY)));
    assert.equal(ok.sw, SW.OK);
    assert.deepEqual(ok.data, expectedPublicKey(NODE_KEY));
    raw.socket.destroy();
  });

  test('a malformed SIGN_BATCH frame is refused whole, with 6a80 or 6b00 and a reason naming the item', async () => {
    const raw = await RawConnection.open(emu.listening.port);
    const digest = new Uint8Array(32).fill(7);
    const item = (path: DerivationPath, tweak: Uint8Array = Uint8Array.of(0)): Uint8Array => concat(pathBytes(path), digest, tweak);
    const batch = (count: number, ...items: Uint8Array[]): Uint8Array => command(0x22, concat(Uint8Array.of(count), ...items));
    const cases: { name: string; body: Uint8Array; sw: number; reason: RegExp }[] = [
      { name: 'no count byte', body: command(0x22, new Uint8Array(0)), sw: SW.BAD_DATA, reason: /^SIGN_BATCH: items: short read/ },
      { name: 'count 0', body: batch(0), sw: SW.BAD_DATA, reason: /batch of 0 signatures, 1\.\.64 allowed/ },
      { name: 'count 65', body: batch(65, ...Array.from({ length: 65 }, () => item([0]))), sw: SW.BAD_DATA, reason: /batch of 65 signatures/ },
      { name: 'count 3, two items', body: batch(3, item([0]), item([1])), sw: SW.BAD_DATA, reason: /^SIGN_BATCH: items\[2\]\.path: short read/ },
      { name: 'count 1, two items', body: batch(1, item([0]), item([1])), sw: SW.BAD_DATA, reason: /trailing byte/ },
      { name: 'item 1 digest cut short', body: batch(2, item([0]), concat(pathBytes([1]), digest.subarray(5))), sw: SW.BAD_DATA, reason: /^SIGN_BATCH: items\[1\]\.digest: short read/ },
      { name: 'item 1 tweak kind 7', body: batch(2, item([0]), item([1], Uint8Array.of(7))), sw: SW.BAD_DATA, reason: /^SIGN_BATCH: items\[1\]\.tweak: unknown tweak kind 7/ },
      { name: 'item 0 path of 11 elements', body: batch(1, item(new Array<number>(11).fill(0))), sw: SW.BAD_DATA, reason: /^SIGN_BATCH: items\[0\]\.path: path has 11 elements/ },
      { name: 'item 2 revocation secret zero', body: batch(3, item([0]), item([1]), item([2], concat(Uint8Array.of(2), new Uint8Array(32)))), sw: SW.BAD_DATA, reason: /^item 2: revocation tweak/ },
      { name: 'P1 1', body: command(0x22, concat(Uint8Array.of(1), item([0])), 1), sw: SW.WRONG_P1P2, reason: /^SIGN_BATCH: P1 1 P2 0 not allowed/ },
    ];
    for (const c of cases) {
      const r = await raw.exchange(c.body);
      assert.equal(r.sw.toString(16), c.sw.toString(16), c.name);
      const reason = new TextDecoder().decode(r.data);
      assert.match(reason, c.reason, c.name);
      assert.ok(r.data.length <= 200 && r.data.every((b) => b >= 0x20 && b <= 0x7e), `${c.name}: the data is only an ASCII reason, no signature`);
    }
    console.log(`hsm-emulator malformed SIGN_BATCH frames: ${cases.length} cases`);
    // A well-formed batch on the same connection is answered: 64 bytes per item.
    const ok = await raw.exchange(batch(2, item(NODE_KEY), item(FUNDING)));
    assert.equal(ok.sw, SW.OK);
    assert.equal(ok.data.length, 128);
    assert.ok(secp.verify(ok.data.subarray(64), digest, expectedPublicKey(FUNDING)));
    raw.socket.destroy();
  });

  test('frames split byte by byte and several frames in one write are all answered in order', async () => {
    const raw = await RawConnection.open(emu.listening.port);
    const a = frame(command(0x10, pathBytes(FUNDING)));
    for (const byte of a) {
      raw.socket.write(Uint8Array.of(byte));
    }
    assert.deepEqual((await raw.next()).data, expectedPublicKey(FUNDING));
    raw.socket.write(concat(frame(command(0x10, pathBytes([1]))), frame(command(0xee, new Uint8Array(0))), frame(command(0x10, pathBytes([2])))));
    assert.deepEqual((await raw.next()).data, expectedPublicKey([1]));
    assert.equal((await raw.next()).sw, SW.UNKNOWN_INS);
    assert.deepEqual((await raw.next()).data, expectedPublicKey([2]));
    raw.socket.destroy();
  });

  test('an oversized length prefix closes that connection, and the server stays up', async () => {
    for (const announced of [MAX_COMMAND_BYTES + 1, 0xffffffff]) {
      const raw = await RawConnection.open(emu.listening.port);
      raw.socket.write(concat(u32be(announced), new Uint8Array(16)));
      await raw.closed;
      assert.equal(raw.socket.destroyed, true);
    }
    // An HTTP request is an oversized prefix too ("POST" = 0x504f5354).
    const http = await RawConnection.open(emu.listening.port);
    http.socket.write('POST /screen/approve HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await http.closed;
    // A client that hangs up mid-frame does not disturb the server either.
    const partial = await RawConnection.open(emu.listening.port);
    partial.socket.write(frame(command(0x10, pathBytes(FUNDING))).subarray(0, 7));
    partial.socket.destroy();
    const device = await emu.device();
    assert.deepEqual(await device.getPublicKey(NODE_KEY), expectedPublicKey(NODE_KEY));
    await device.close();
    assert.equal(emu.child.exitCode, null, 'still running');
  });

  test('the largest allowed frame is answered', async () => {
    const raw = await RawConnection.open(emu.listening.port);
    const r = await raw.exchange(command(0x50, new Uint8Array(4096).fill(0x41)));
    assert.equal(r.sw, SW.BAD_DATA, 'a 4096-byte text is read, then refused as longer than 1024');
    raw.socket.destroy();
  });
});

// ---- the spec's worked example, byte for byte ----

describe('proto/device-protocol.md worked example', () => {
  test('every frame of the example gets exactly the response the spec shows', async () => {
    const spec = readFileSync(join(repoRoot, 'proto', 'device-protocol.md'), 'utf8');
    const block = /```device-example\n([\s\S]*?)```/.exec(spec);
    assert.ok(block, 'the spec has a device-example block');
    const exchanges: { name: string; request: string; response: string }[] = [];
    let name = '';
    let request: string | undefined;
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('# ')) name = line.slice(2);
      else if (line.startsWith('> ')) request = line.slice(2);
      else if (line.startsWith('< ')) {
        assert.ok(request, `${name}: a response without a request`);
        exchanges.push({ name, request, response: line.slice(2) });
        request = undefined;
      } else assert.equal(line.trim(), '', `unexpected line in the example: ${line}`);
    }
    assert.ok(exchanges.length >= 10);

    const dir = join(work, 'abandon');
    const words = join(work, 'abandon.txt');
    writeFileSync(words, 'abandon '.repeat(11) + 'about');
    const init = await runVigil(['init', '--data-dir', dir, '--mnemonic-file', words]);
    assert.equal(init.code, 0, init.stderr);
    assert.equal((JSON.parse(init.stdout) as { initialized: { fingerprint: string } }).initialized.fingerprint, '73c5da0a');
    const emu = await startEmulator(dir, ['--screen', 'approve-all']);
    const raw = await RawConnection.open(emu.listening.port);
    const answers: Uint8Array[] = [];
    for (const ex of exchanges) {
      const prefixed = Buffer.from(ex.request, 'hex');
      assert.equal(prefixed.readUInt32BE(0), prefixed.length - 4, `${ex.name}: the example's length prefix`);
      raw.socket.write(prefixed);
      const r = await raw.next();
      answers.push(r.data);
      assert.equal(hex(frame(concat(r.data, Uint8Array.of(r.sw >> 8, r.sw & 0xff)))), ex.response, ex.name);
    }
    raw.socket.destroy();
    assert.equal(await emu.stop(), 0);
    // The example's signatures verify under the keys it shows.
    const pub = answers[exchanges.findIndex((e) => e.name.startsWith('GET_PUBLIC_KEY'))]!;
    const signature = answers[exchanges.findIndex((e) => e.name.startsWith('SIGN m/'))]!;
    assert.ok(secp.verify(signature, digestOf('vigil device protocol example'), pub));
    console.log(`device-protocol worked example: ${exchanges.length} cases`);
  });
});

// ---- the screen ----

async function getScreen(base: string): Promise<{ pending: { id: number; text: string } | null }> {
  const res = await fetch(`${base}/screen`);
  assert.equal(res.status, 200);
  return (await res.json()) as { pending: { id: number; text: string } | null };
}

/** Polls GET /screen until it shows `text` (each poll waits for the previous HTTP answer), within a deadline. */
async function waitForScreen(base: string, text: string, deadlineMs = 10_000): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const { pending } = await getScreen(base);
    if (pending?.text === text) return pending.id;
    if (Date.now() > deadline) throw new Error(`screen never showed ${JSON.stringify(text)} (shows ${JSON.stringify(pending)})`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function waitForEmptyScreen(base: string, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while ((await getScreen(base)).pending !== null) {
    if (Date.now() > deadline) throw new Error('screen never cleared');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function press(base: string, button: 'approve' | 'reject', query = '', header = true): Promise<Response> {
  return fetch(`${base}/screen/${button}${query}`, { method: 'POST', headers: header ? { 'x-vigil-automation': '1' } : {} });
}

describe('screen through the automation endpoint', () => {
  let emu: RunningEmulator;
  let base: string;
  before(async () => {
    emu = await startEmulator(dataDir, ['--screen', 'automation', '--automation-port', '0']);
    base = emu.automationUrl;
  });
  after(async () => {
    assert.equal(await emu.stop(), 0);
  });

  test('approve: the text is shown, other connections are served meanwhile, then confirm resolves approved', async () => {
    assert.deepEqual(await getScreen(base), { pending: null });
    const asker = await emu.device();
    const text = 'Pay 250000 sat to 02abc...ef\nfor "coffee beans"';
    let settled = false;
    const answer = asker.confirm(text).finally(() => (settled = true));
    const id = await waitForScreen(base, text);
    // Another connection is not blocked by the pending confirmation.
    const other = await emu.device();
    assert.deepEqual(await other.getPublicKey(NODE_KEY), expectedPublicKey(NODE_KEY));
    const digest = digestOf('while waiting');
    assert.ok(secp.verify(await other.sign(FUNDING, digest), digest, expectedPublicKey(FUNDING)));
    assert.equal(settled, false, 'still waiting for a button');
    // A press without the automation header is refused, as is one naming another confirmation.
    assert.equal((await press(base, 'approve', '', false)).status, 403);
    assert.equal((await press(base, 'approve', `?id=${id + 100}`)).status, 409);
    assert.equal(settled, false);
    const res = await press(base, 'approve', `?id=${id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id, decision: 'approved' });
    assert.equal(await answer, 'approved');
    assert.deepEqual(await getScreen(base), { pending: null });
    await Promise.all([asker.close(), other.close()]);
  });

  test('reject: confirm resolves denied (status 6985), and a press with nothing pending is 409', async () => {
    const device = await emu.device();
    const answer = device.confirm('Close channel 7 to bc1q...');
    await waitForScreen(base, 'Close channel 7 to bc1q...');
    const res = await press(base, 'reject');
    assert.equal(res.status, 200);
    assert.equal(await answer, 'denied');
    assert.equal((await press(base, 'approve')).status, 409);
    // The same connection goes on after a denial.
    assert.deepEqual(await device.getPublicKey(FUNDING), expectedPublicKey(FUNDING));
    await device.close();
  });

  test('confirmations from two connections queue: the second is shown once the first is answered', async () => {
    const a = await emu.device();
    const b = await emu.device();
    const first = a.confirm('first');
    await waitForScreen(base, 'first');
    const second = b.confirm('second');
    assert.equal((await getScreen(base)).pending?.text, 'first');
    await press(base, 'reject');
    assert.equal(await first, 'denied');
    await waitForScreen(base, 'second');
    await press(base, 'approve');
    assert.equal(await second, 'approved');
    await Promise.all([a.close(), b.close()]);
  });

  test('a connection that closes while its confirmation is shown takes it off the screen', async () => {
    const device = await emu.device();
    const answer = device.confirm('abandoned');
    await waitForScreen(base, 'abandoned');
    await device.close();
    await assert.rejects(answer, /device connection closed/);
    await waitForEmptyScreen(base);
  });

  test('the endpoint refuses a non-loopback Host header, unknown routes and wrong methods', async () => {
    const http = await import('node:http');
    const status = (method: string, path: string, headers: Record<string, string> = {}): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: emu.listening.automation!.port, method, path, headers }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal(await status('GET', '/screen', { host: 'evil.example:80' }), 403);
    assert.equal(await status('GET', '/nope'), 404);
    assert.equal(await status('POST', '/screen'), 405);
    assert.equal(await status('GET', '/screen/approve'), 405);
    assert.equal(await status('GET', '/screen'), 200);
  });
});

describe('screen rules and console', () => {
  test('--screen approve-all approves and --screen reject-all denies, without a person', async () => {
    for (const [rule, expected] of [['approve-all', 'approved'], ['reject-all', 'denied']] as const) {
      const emu = await startEmulator(dataDir, ['--screen', rule]);
      const device = await emu.device();
      assert.equal(await device.confirm(`rule ${rule}`), expected);
      assert.equal(await device.confirm('again'), expected);
      await device.close();
      assert.equal(await emu.stop(), 0);
    }
  });

  test('--screen console shows the text on stderr and takes y or n from stdin', async () => {
    const emu = await startEmulator(dataDir, ['--screen', 'console']);
    const device = await emu.device();
    const yes = device.confirm('Approve payment of 1000 sat?');
    await emu.stderrContains('Approve payment of 1000 sat?\n[screen] approve? (y/n)');
    emu.child.stdin.write('maybe\n');
    await emu.stderrContains('[screen] answer y or n');
    emu.child.stdin.write('y\n');
    assert.equal(await yes, 'approved');
    const no = device.confirm('Send everything to an unknown address?');
    await emu.stderrContains('Send everything to an unknown address?\n[screen] approve? (y/n)');
    emu.child.stdin.write('n\n');
    assert.equal(await no, 'denied');
    await device.close();
    assert.equal(await emu.stop(), 0);
  });
});

// ---- restarts and secrecy ----

describe('process lifecycle and logs', () => {
  test('after kill -9 a restart on the same data dir serves the same keys and signatures', async () => {
    const first = await startEmulator(dataDir);
    let device = await first.device();
    const digest = digestOf('before the crash');
    const pub = await device.getPublicKey(FUNDING);
    const sig = await device.sign(FUNDING, digest);
    const point = await device.perCommitmentPoint(SHACHAIN, FIRST_COMMITMENT_INDEX);
    first.child.kill('SIGKILL');
    const [, signal] = await first.exited;
    assert.equal(signal, 'SIGKILL');
    await assert.rejects(device.getPublicKey(FUNDING), /device connection/);

    const second = await startEmulator(dataDir);
    device = await second.device();
    assert.deepEqual(await device.getPublicKey(FUNDING), pub);
    assert.deepEqual(await device.sign(FUNDING, digest), sig);
    assert.deepEqual(await device.perCommitmentPoint(SHACHAIN, FIRST_COMMITMENT_INDEX), point);
    await device.close();
    assert.equal(await second.stop(), 0);
  });

  test('a session that signs, derives and reveals secrets logs none of them, nor the seed or passphrase', async () => {
    const emu = await startEmulator(dataDir, ['--screen', 'approve-all', '--log-level', 'trace']);
    const device = await emu.device();
    const secrets: Record<string, Uint8Array> = {};
    const theirSecret = perCommitmentSecret(sha256(Uint8Array.of(1)), FIRST_COMMITMENT_INDEX);
    const addTweak = sha256(Uint8Array.of(2));
    secrets['counterparty per-commitment secret sent for revocation'] = theirSecret;
    secrets['add tweak'] = addTweak;
    for (const [i, path] of [NODE_KEY, FUNDING, REVOCATION_BASE, PAYMENT_BASE, SHACHAIN].entries()) {
      secrets[`private key ${pathString(path)}`] = expectedPrivateKey(path);
      await device.sign(path, digestOf(`log test ${i}`));
      await device.sign(path, digestOf(`log test ${i}`), { kind: 'add', tweak: addTweak });
      await device.sign(path, digestOf(`log test ${i}`), { kind: 'revocation', perCommitmentSecret: theirSecret });
      await device.signRecoverable(path, digestOf(`log test ${i}`));
    }
    secrets['shachain seed'] = expectedShachainSeed(SHACHAIN);
    for (const index of [FIRST_COMMITMENT_INDEX, FIRST_COMMITMENT_INDEX - 1n, 0n]) {
      secrets[`per-commitment secret ${index}`] = await device.perCommitmentSecret(SHACHAIN, index);
      await device.perCommitmentPoint(SHACHAIN, index);
    }
    secrets['ecdh shared secret'] = await device.ecdh(NODE_KEY, secp.publicKey(sha256(Uint8Array.of(3))));
    await device.confirm('log test confirmation');
    await assert.rejects(device.sign(FUNDING, digestOf('x'), { kind: 'add', tweak: new Uint8Array(32).fill(0xff) }));
    secrets['BIP39 seed'] = mnemonicToSeedSync(mnemonic);
    secrets['BIP39 entropy'] = mnemonicToEntropy(mnemonic, wordlist);
    secrets['master private key'] = root.privateKey!;
    await device.close();
    assert.equal(await emu.stop(), 0);

    const log = emu.stderr + emu.stdoutLines.join('\n');
    const lines = emu.stderr.trim().split('\n');
    assert.ok(lines.length >= 25, `the session was logged (${lines.length} lines)`);
    for (const line of lines) JSON.parse(line); // structured: every line is JSON
    assert.ok(lines.some((l) => l.includes('"ins":"PER_COMMITMENT_SECRET"')), 'reveals are logged, without their value');
    const forbidden: Record<string, string> = {
      mnemonic,
      'master xprv': root.privateExtendedKey,
      passphrase: PASSPHRASE,
    };
    for (const [name, bytes] of Object.entries(secrets)) {
      forbidden[`${name} (hex)`] = hex(bytes);
      forbidden[`${name} (base64)`] = Buffer.from(bytes).toString('base64');
    }
    const words = mnemonic.split(' ');
    for (let i = 0; i + 3 <= words.length; i++) forbidden[`mnemonic words ${i}..${i + 2}`] = words.slice(i, i + 3).join(' ');
    for (const [name, value] of Object.entries(forbidden)) assert.ok(!log.toLowerCase().includes(value.toLowerCase()), `the log holds the ${name}`);
    console.log(`hsm-emulator log secrecy: ${Object.keys(forbidden).length} cases`);
  });
});
