// One device round trip per commitment: SignCounterpartyCommitment hands the commitment signature and
// every HTLC signature to the device in one signBatch (SIGN_BATCH on the emulator), and the
// counterparty accepts every one of those signatures against the transactions it rebuilds itself.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { encodeResponse, frame, FrameSplitter, MAX_COMMAND_BYTES, SW } from '../bolt/apdu.js';
import { sha256 } from '../bolt/crypto/hash.js';
import { handleCommand } from '../hsm-emulator/handlers.js';
import { Keyring } from '../hsm-emulator/keyring.js';
import { Screen } from '../hsm-emulator/screen.js';
import { hardened } from '../signer/device/device.js';
import { EmulatorDevice } from '../signer/device/emulator-client.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { openChannel, openSigner, tempDir } from './helpers/signer-pair.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a counterparty commitment with 6 HTLCs costs one device call, and the counterparty accepts all 7 signatures', async () => {
  const devices = { alice: MemoryDevice.fromByte(0x51), bob: MemoryDevice.fromByte(0x52) };
  const dir = { alice: tempDir('batch-a'), bob: tempDir('batch-b') };
  dirs.push(dir.alice, dir.bob);
  const pair = await openChannel({ alice: await openSigner(dir.alice, devices.alice), bob: await openSigner(dir.bob, devices.bob) }, 'anchors');
  for (let i = 0; i < 6; i++) await pair.pay('alice', 2_000_000n + BigInt(i) * 100_000n, i);

  const n = pair.nextHolder.bob;
  const info = pair.info('bob', n);
  const before = { sign: devices.alice.count('sign'), batch: devices.alice.count('signBatch') };
  const signed = await pair.signCommitmentOf('bob', n, info);
  assert.equal(devices.alice.count('signBatch'), before.batch + 1, 'one batch for the commitment and its HTLCs');
  assert.equal(devices.alice.count('sign'), before.sign, 'no single signature on the side');
  assert.equal((signed['signature'] as Uint8Array).length, 64);
  assert.equal((signed['htlc_signatures'] as Uint8Array[]).length, 6);

  // Bob checks Alice's commitment signature and each HTLC signature against his own rebuild.
  await pair.validate('bob', info, signed);
  await pair.revoke('bob', n - 1);
  await pair.validateRevocation('bob', n - 1);
  // The same request again (a retry) gives the same signatures: RFC 6979, nothing stored twice.
  const again = await pair.signCommitmentOf('bob', n, info);
  assert.deepEqual(again['signature'], signed['signature']);
  assert.deepEqual(again['htlc_signatures'], signed['htlc_signatures']);
  await pair.signers.alice.close();
  await pair.signers.bob.close();
});

test('a device that predates SIGN_BATCH (answers 6d00) still gets every signature, one SIGN at a time', async () => {
  // The emulator's own command handler, behind a server that does not know INS 0x22.
  const ctx = { keyring: Keyring.fromMnemonic(MemoryDevice.mnemonicOf(0x53)), screen: new Screen('approve-all') };
  const instructions: number[] = [];
  const server = createServer((socket) => {
    const splitter = new FrameSplitter(MAX_COMMAND_BYTES);
    const closed = new AbortController();
    socket.on('close', () => closed.abort());
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const body of splitter.push(new Uint8Array(chunk)).frames) {
        chain = chain.then(async () => {
          instructions.push(body[1]!);
          const response = body[1] === 0x22 ? encodeResponse({ data: new Uint8Array(0), sw: SW.UNKNOWN_INS }) : (await handleCommand(ctx, body, closed.signal)).response;
          socket.write(frame(response));
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const device = await EmulatorDevice.connect({ port: (server.address() as AddressInfo).port });
  const reference = MemoryDevice.fromByte(0x53);
  const path = [hardened(1017), hardened(1), hardened(0), hardened(4)];
  const requests = [0, 1, 2].map((i) => ({ path, digest: sha256(Uint8Array.of(i)), tweak: { kind: 'add' as const, tweak: sha256(Uint8Array.of(0x70, i)) } }));
  const expected = await Promise.all(requests.map((r) => reference.sign(r.path, r.digest, r.tweak)));
  assert.deepEqual(await device.signBatch(requests), expected);
  assert.deepEqual(await device.signBatch(requests), expected, 'again, without asking for SIGN_BATCH a second time');
  assert.deepEqual(
    instructions.filter((ins) => ins === 0x22 || ins === 0x20),
    [0x22, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20],
    'one SIGN_BATCH refused, then SIGN per signature',
  );
  await device.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  ctx.keyring.wipe();
});
