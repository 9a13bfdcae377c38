// The signer as its own process, over real gRPC with mutual TLS, backed by a real
// `vigil hsm-emulator` process: the node's certificate is required, a stranger is refused
// before any rpc runs, malformed requests get INVALID_ARGUMENT naming the field, and a
// kill -9 loses nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { hex } from '../bolt/bytes.js';
import { SignerClient, SignerRefusal } from '../node/signer-client/client.js';
import { paths } from '../signer/config.js';
import { createMutualTls } from '../signer/tls.js';
import { runVigil, startVigil, tempDir, type VigilServer } from './helpers/vigil-process.js';

type Listening = { listening: { host: string; port: number }; node_id?: string };

const PASSPHRASE = { VIGIL_HSM_PASSPHRASE: 'signer-grpc test passphrase' };
const emulatorDir = tempDir('emulator');
const signerDir = tempDir('signer');
let emulator: VigilServer<Listening>;
let signer: VigilServer<Listening>;

async function startSigner(): Promise<VigilServer<Listening>> {
  return startVigil<Listening>(['signer', 'run', '--data-dir', signerDir.dir, '--device-port', String(emulator.ready.listening.port), '--log-level', 'warn']);
}

function nodeClient(port: number, overrides: Partial<{ caPem: string; certPem: string; keyPem: string }> = {}): SignerClient {
  const p = paths(signerDir.dir);
  return new SignerClient({
    address: `127.0.0.1:${port}`,
    caPem: readFileSync(p.caCert, 'utf8'),
    certPem: readFileSync(p.nodeCert, 'utf8'),
    keyPem: readFileSync(p.nodeKey, 'utf8'),
    deadlineMs: 10_000,
    ...overrides,
  });
}

before(async () => {
  const init = await runVigil(['hsm-emulator', 'init', '--data-dir', emulatorDir.dir], PASSPHRASE);
  assert.equal(init.code, 0, init.stderr);
  emulator = await startVigil<Listening>(['hsm-emulator', '--data-dir', emulatorDir.dir, '--port', '0', '--screen', 'approve-all'], PASSPHRASE);
  const signerInit = await runVigil(['signer', 'init', '--data-dir', signerDir.dir, '--network', 'regtest']);
  assert.equal(signerInit.code, 0, signerInit.stderr);
  signer = await startSigner();
});

after(async () => {
  await signer?.stop();
  await emulator?.stop();
  signerDir.remove();
  emulatorDir.remove();
});

test('the node, with its certificate, gets its node id and ECDH over mutual TLS', async () => {
  const client = nodeClient(signer.ready.listening.port);
  try {
    const info = await client.call<{ node_id: Buffer; network: string }>('GetNodeInfo', {});
    assert.equal(info.node_id.length, 33);
    assert.equal(hex(info.node_id), signer.ready.node_id);
    assert.equal(info.network, 'regtest');
    const ours = randomBytes(32);
    const shared = await client.call<{ shared_secret: Buffer }>('Ecdh', { point: Buffer.from(secp.publicKey(ours)) });
    assert.equal(hex(shared.shared_secret), hex(secp.ecdh(ours, info.node_id)));
  } finally {
    client.close();
  }
});

test('a client without a certificate, or with one from another CA, is refused before any rpc', async () => {
  const p = paths(signerDir.dir);
  const caPem = readFileSync(p.caCert, 'utf8');
  const noCert = new grpc.Client(`127.0.0.1:${signer.ready.listening.port}`, grpc.credentials.createSsl(Buffer.from(caPem)), { 'grpc.ssl_target_name_override': 'localhost' });
  const stranger = await createMutualTls();
  const foreign = nodeClient(signer.ready.listening.port, { certPem: stranger.node.certPem, keyPem: stranger.node.keyPem });
  try {
    await assert.rejects(
      new Promise((resolve, reject) =>
        noCert.makeUnaryRequest('/vigil.signer.v1.Signer/GetNodeInfo', () => Buffer.alloc(0), (b: Buffer) => b, {}, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res))),
      ),
      (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE,
    );
    await assert.rejects(foreign.call('GetNodeInfo', {}), (err: SignerRefusal) => err.code === grpc.status.UNAVAILABLE);
  } finally {
    noCert.close();
    foreign.close();
  }
});

test('malformed requests get INVALID_ARGUMENT naming the field, and the signer stays up', async () => {
  const client = nodeClient(signer.ready.listening.port);
  try {
    await assert.rejects(client.call('Ecdh', { point: Buffer.from([1, 2, 3]) }), (err: SignerRefusal) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /^point/);
      return true;
    });
    const offCurve = Buffer.alloc(33, 0xff);
    offCurve[0] = 0x02;
    await assert.rejects(client.call('Ecdh', { point: offCurve }), (err: SignerRefusal) => err.code === grpc.status.INVALID_ARGUMENT && /^point/.test(err.details));
    await assert.rejects(client.call('GetPerCommitmentPoint', { channel: { channel_id: Buffer.alloc(5) }, commitment_number: '0' }), (err: SignerRefusal) => err.code === grpc.status.INVALID_ARGUMENT);
    const info = await client.call<{ node_id: Buffer }>('GetNodeInfo', {});
    assert.equal(info.node_id.length, 33);
  } finally {
    client.close();
  }
});

test('after kill -9 the signer restarts on the same data directory with the same identity', async () => {
  const before = signer.ready.node_id;
  await signer.stop('SIGKILL');
  signer = await startSigner();
  assert.equal(signer.ready.node_id, before);
  const client = nodeClient(signer.ready.listening.port);
  try {
    const info = await client.call<{ node_id: Buffer }>('GetNodeInfo', {});
    assert.equal(hex(info.node_id), before);
  } finally {
    client.close();
  }
});
