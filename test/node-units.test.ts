// The node daemon's pure parts: addresses to scripts on the node's network, fee arithmetic on the
// policy floor, the cache store (round trips; a file of another schema is rebuilt, never migrated),
// and how errors from the signer and the chain read to an API user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fromHex, hex } from '../bolt/bytes.js';
import { BitcoindRpcError, BitcoindTransportError } from '../node/chain/rpc-client.js';
import { toStatus } from '../node/daemon/api-server.js';
import { ApiError } from '../node/daemon/errors.js';
import { NodeStore } from '../node/daemon/store.js';
import { addressToScript, feeFor, feeratePerKw, MIN_FEERATE_PER_KW, OnchainWallet } from '../node/daemon/wallet.js';
import { SignerRefusal } from '../node/signer-client/client.js';
import { scriptToAddress as chainScriptToAddress } from '../node/chain/server/address.js';
import { REGTEST } from '../node/chain/server/params.js';
import { openDatabase } from '../node/chain/server/sqlite.js';
import { tempDir } from './helpers/node-stack.js';

test('addresses become the scripts they pay to, on the node\'s network only', () => {
  // BIP 173 / BIP 350 test vectors (regtest and testnet forms) and base58 regtest addresses.
  const cases: [string, string, string][] = [
    ['regtest', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', '0014751e76e8199196d454941c45d1b3a323f1433bd6'],
    ['testnet', 'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7', '00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262'],
    ['bitcoin', 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', '512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'],
  ];
  for (const [network, address, script] of cases) assert.equal(hex(addressToScript(network, address)), script, address);
  // Base58 P2PKH and P2SH: encoded by the embedded chain's independent address code, decoded by ours.
  for (const script of ['76a914' + '24'.repeat(20) + '88ac', 'a914' + '4e'.repeat(20) + '87']) {
    const address = chainScriptToAddress(fromHex(script), REGTEST)!;
    assert.match(address, /^[2mn]/);
    assert.equal(hex(addressToScript('regtest', address)), script, address);
  }
  assert.throws(() => addressToScript('regtest', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'), (e: unknown) => e instanceof ApiError && e.code === 'INVALID_ARGUMENT' && /^address: "bc1q[0-9a-z]+": not a regtest address/.test(e.message));
  assert.throws(() => addressToScript('regtest', 'nonsense', 'destination'), /destination: "nonsense": not a regtest address \(/);
});

test('feerates: sat/vbyte to sat/kw never below the 253 floor; fees round up', () => {
  assert.equal(MIN_FEERATE_PER_KW, 253);
  assert.equal(feeratePerKw(1), 253);
  assert.equal(feeratePerKw(2), 500);
  assert.equal(feeratePerKw(0.5), 253);
  assert.equal(feeFor(1000, 253), 253n);
  assert.equal(feeFor(561, 253), 142n); // 141.933 rounds up
  assert.equal(feeFor(4, 1000), 4n);
});

test('coinbase maturity: spendable when the next block is 100 above the coin', () => {
  const coin = { txid: '00'.repeat(32), vout: 0, amountSat: 1n, script: new Uint8Array(), coinbase: true, height: 10 };
  assert.equal(OnchainWallet.isMature(coin, 108), false);
  assert.equal(OnchainWallet.isMature(coin, 109), true);
  assert.equal(OnchainWallet.isMature({ ...coin, coinbase: false }, 10), true);
});

test('the cache store keeps peers, addresses, payments and channel snapshots', () => {
  const t = tempDir('node-store');
  let now = 1000;
  try {
    const store = NodeStore.open(t.dir, () => now);
    store.rememberPeer('02aa', '127.0.0.1', 9735, false);
    store.rememberPeer('02aa', '127.0.0.1', 9736, true);
    store.rememberPeer('02aa', '127.0.0.1', 9737, false); // persistence is only turned off by forgetting
    now = 1001;
    store.peerConnected('02aa');
    assert.deepEqual(store.peers(), [{ nodeId: '02aa', host: '127.0.0.1', port: 9737, persistent: true, lastConnectedAt: 1001 }]);
    store.forgetPeer('02aa');
    assert.deepEqual(store.peers(), []);

    assert.equal(store.addAddress('0014ab', 'bcrt1qab'), true);
    assert.equal(store.addAddress('0014ab', 'bcrt1qab'), false);
    assert.deepEqual(store.addresses(), [{ scriptPubKey: '0014ab', address: 'bcrt1qab', createdAt: 1001 }]);

    const payment = {
      paymentHash: 'cd'.repeat(32),
      direction: 'sent' as const,
      status: 'pending' as const,
      amountMsat: 2_100_000_000_000_000_000n, // beyond 2^53: kept exactly
      feeMsat: 1n,
      invoice: 'lnbcrt1...',
      preimage: null,
      peerNodeId: '02aa',
      createdAt: 1001,
      settledAt: null,
      failureReason: null,
    };
    store.upsertPayment(payment);
    store.upsertPayment({ ...payment, status: 'succeeded', preimage: 'ee'.repeat(32), settledAt: 1002 });
    assert.deepEqual(store.payments(), [{ ...payment, status: 'succeeded', preimage: 'ee'.repeat(32), settledAt: 1002 }]);
    assert.equal(store.payment(payment.paymentHash, 'received'), undefined);

    store.saveChannelSnapshot('ff'.repeat(32), '02aa', 'open', '{"x":1}');
    assert.deepEqual(store.channelSnapshots(), [{ channelId: 'ff'.repeat(32), peerNodeId: '02aa', state: 'open', snapshot: '{"x":1}', updatedAt: 1001 }]);
    store.setMeta('k', 'v');
    assert.equal(store.getMeta('k'), 'v');
    store.close();

    // Reopened: everything is there.
    const again = NodeStore.open(t.dir, () => now);
    assert.equal(again.addresses().length, 1);
    again.close();
  } finally {
    t.remove();
  }
});

test('a cache written by another schema version is dropped and rebuilt', () => {
  const t = tempDir('node-store-schema');
  try {
    const store = NodeStore.open(t.dir);
    store.addAddress('0014ab', 'bcrt1qab');
    store.close();
    const db = openDatabase(join(t.dir, 'node.sqlite'));
    db.prepare("UPDATE meta SET value = '0' WHERE key = 'schema_version'").run();
    db.close();
    const rebuilt = NodeStore.open(t.dir);
    assert.deepEqual(rebuilt.addresses(), []);
    assert.equal(rebuilt.getMeta('schema_version'), '1');
    rebuilt.close();
  } finally {
    t.remove();
  }
});

test('errors read to an API user with the right status and the cause in words', () => {
  const cases: [unknown, grpc.status, RegExp, boolean][] = [
    [new ApiError('NOT_FOUND', 'channel_id: no such channel'), grpc.status.NOT_FOUND, /^channel_id: no such channel$/, false],
    [new SignerRefusal('SignWalletTransaction', grpc.status.FAILED_PRECONDITION, 'policy-onchain-no-unknown-outputs: output 0 pays bcrt1q...'), grpc.status.FAILED_PRECONDITION, /^the signer refused: policy-onchain-no-unknown-outputs: /, false],
    [new SignerRefusal('AddBlock', grpc.status.UNAVAILABLE, 'No connection established'), grpc.status.UNAVAILABLE, /^the signer is unreachable \(AddBlock\): No connection established$/, false],
    [new SignerRefusal('NewAddress', grpc.status.INVALID_ARGUMENT, 'outputs[0].amount_sat: ...'), grpc.status.INTERNAL, /^the signer rejected the node's NewAddress request: outputs\[0\]/, true],
    [new BitcoindRpcError('sendrawtransaction', -26, 'bad-txns-inputs-missingorspent'), grpc.status.FAILED_PRECONDITION, /^chain: bitcoind RPC sendrawtransaction failed: error -26: bad-txns/, false],
    [new BitcoindTransportError('getblockcount', 'cannot reach 127.0.0.1:1: connection refused'), grpc.status.UNAVAILABLE, /^chain: bitcoind RPC getblockcount: cannot reach/, false],
    [new TypeError('x is undefined'), grpc.status.INTERNAL, /^internal error: x is undefined$/, true],
  ];
  for (const [error, code, message, internal] of cases) {
    const s = toStatus(error);
    assert.equal(s.code, code, String(error));
    assert.match(s.message, message);
    assert.equal(s.internal, internal);
  }
});
