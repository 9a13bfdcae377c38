// Two signers hold a channel conversation in process (Alice's and Bob's SignerService, each with its
// own in-memory device): open, payments both ways, mutual close, force close with its HTLC transactions
// and sweeps, and a justice transaction against a revoked commitment. Every fully signed transaction is
// run through bitcore-lib's script interpreter against the output it spends.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { compare, equal, hex } from '../bolt/bytes.js';
import {
  buildHtlcTransactions,
  compareOutputs,
  encodeScriptSignature,
  fundingWitness,
  parseTransaction,
  serializeTransaction,
  SIGHASH_ALL,
  transactionId,
  withWitness,
  type ChannelType,
  type CommitmentTransaction,
  type Transaction,
} from '../bolt/bolt3/index.js';
import type { SignerService } from '../signer/service/index.js';
import { assertInputsValid, type SpentOutput } from './helpers/interpreter.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { FUNDING_SAT, openChannel, openSigner, overTheWire, tempDir, type ChannelPair, type Msg, type Side } from './helpers/signer-pair.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function twoSigners(tag: number): Promise<Record<Side, SignerService>> {
  const a = tempDir(`signer-a${tag}`);
  const b = tempDir(`signer-b${tag}`);
  dirs.push(a, b);
  // Every request and answer of these conversations goes through the protobuf encoding of proto/signer.proto.
  return { alice: overTheWire(await openSigner(a, MemoryDevice.fromByte(tag))), bob: overTheWire(await openSigner(b, MemoryDevice.fromByte(tag + 100))) };
}

async function closeAll(s: Record<Side, SignerService>): Promise<void> {
  await s.alice.close();
  await s.bob.close();
}

function valid(tx: Uint8Array, spent: readonly SpentOutput[]): Transaction {
  assertInputsValid(hex(tx), spent);
  return parseTransaction(tx);
}

function outputOf(c: CommitmentTransaction, index: number): SpentOutput {
  const o = c.outputs[index]!;
  return { scriptPubKeyHex: hex(o.script), amountSat: o.amountSat };
}

function internal(txidDisplay: Uint8Array): Buffer {
  return Buffer.from(Uint8Array.from(txidDisplay).reverse());
}

async function newScript(pair: ChannelPair, side: Side): Promise<Buffer> {
  return (await pair.call(side, 'NewAddress', {}))['script_pubkey'] as Buffer;
}

const TYPES: readonly ChannelType[] = ['static_remotekey', 'anchors'];
let tagSeq = 10;

for (const channelType of TYPES) {
  test(`${channelType}: open, payments both ways, mutual close signed by both; every transaction valid`, async () => {
    const signers = await twoSigners(tagSeq++);
    const pair = await openChannel(signers, channelType);
    valid(pair.signedFunding!, [{ scriptPubKeyHex: hex(pair.walletUtxo!.script), amountSat: pair.walletUtxo!.amountSat }]);

    const h1 = await pair.pay('alice', 50_000_000n, 1);
    await pair.update();
    pair.fulfill(h1);
    await pair.update();
    const h2 = await pair.pay('bob', 20_000_000n, 2);
    const h3 = await pair.pay('alice', 600_000n, 3); // below both dust limits once its fee is counted (static_remotekey)
    await pair.update();
    pair.fail(h2);
    pair.fulfill(h3);
    await pair.update();
    assert.equal(pair.balance.bob, 50_600_000n);
    assert.equal(pair.nextHolder.alice, 5);
    assert.equal(pair.nextHolder.bob, 5);

    // Mutual close: Alice (the funder) pays the fee; each side signs the same transaction.
    const fee = 1000n;
    const aliceScript = await newScript(pair, 'alice');
    const bobScript = await newScript(pair, 'bob');
    const aliceSat = pair.balance.alice / 1000n - fee;
    const bobSat = pair.balance.bob / 1000n;
    const sigs: Record<Side, Buffer> = { alice: Buffer.alloc(0), bob: Buffer.alloc(0) };
    for (const side of ['alice', 'bob'] as const) {
      const [mine, theirs] = side === 'alice' ? [[aliceScript, aliceSat], [bobScript, bobSat]] as const : [[bobScript, bobSat], [aliceScript, aliceSat]] as const;
      const r = await pair.call(side, 'SignMutualClose', {
        channel: pair.ref,
        holder_script: mine[0],
        holder_sat: mine[1].toString(),
        counterparty_script: theirs[0],
        counterparty_sat: theirs[1].toString(),
        fee_sat: fee.toString(),
        locktime: 0,
      });
      sigs[side] = r['signature'];
      assert.equal(sigs[side].length, 64);
    }
    // The closing transaction as a node builds it (BOLT 3 §Legacy Closing Transaction).
    const outputs = [
      { amountSat: aliceSat, script: aliceScript },
      { amountSat: bobSat, script: bobScript },
    ].sort(compareOutputs);
    const unsigned: Transaction = {
      version: 2,
      locktime: 0,
      inputs: [{ txid: Uint8Array.from(pair.fundingTxid).reverse(), vout: 0, sequence: 0xffffffff, scriptSig: new Uint8Array(0), witness: [] }],
      outputs,
    };
    const closing = withWitness(
      unsigned,
      0,
      fundingWitness(
        pair.basepoints.alice.fundingPubkey,
        encodeScriptSignature(sigs.alice, SIGHASH_ALL),
        pair.basepoints.bob.fundingPubkey,
        encodeScriptSignature(sigs.bob, SIGHASH_ALL),
      ),
    );
    valid(serializeTransaction(closing), [{ scriptPubKeyHex: hex(pair.fundingScriptPubKey()), amountSat: FUNDING_SAT }]);

    const listed = await pair.call('alice', 'ListChannels', {});
    assert.equal(listed['channels'].length, 1);
    assert.equal(listed['channels'][0].state, 'closing');
    // A closing channel takes no new commitment; once the close confirms, it takes nothing.
    pair.feeratePerKw = 300;
    await assert.rejects(pair.signCommitmentOf('bob'), /policy-commitment-not-closing/);
    await pair.call('alice', 'ChannelClosed', { channel: pair.ref, closing_txid: Buffer.from(transactionId(closing)) });
    assert.equal((await pair.call('alice', 'ListChannels', {}))['channels'][0].state, 'closed');
    await assert.rejects(pair.call('alice', 'SignHolderCommitmentForBroadcast', { channel: pair.ref }), /policy-signer-channel-state: .*closed/);
    await closeAll(signers);
  });

  test(`${channelType}: force close: holder commitment, its HTLC transactions and sweeps, and justice; every transaction valid`, async () => {
    const signers = await twoSigners(tagSeq++);
    const pair = await openChannel(signers, channelType);
    const h1 = await pair.pay('alice', 80_000_000n, 1);
    await pair.update();
    pair.fulfill(h1);
    await pair.update();
    const h2 = await pair.pay('alice', 30_000_000n, 2);
    const h3 = await pair.pay('bob', 20_000_000n, 3);
    await pair.update();
    // Bob's commitment now holding h2 and h3 gets revoked by the next round: the justice target.
    const revokedNumber = pair.nextHolder.bob - 1;
    const h4 = await pair.pay('alice', 5_000_000n, 4);
    await pair.update();
    assert.ok(pair.secrets.bob.has(revokedNumber));

    // --- Alice force-closes with her latest commitment.
    const n = pair.nextHolder.alice - 1;
    const commitment = pair.rebuild('alice', n);
    const broadcast = await pair.call('alice', 'SignHolderCommitmentForBroadcast', { channel: pair.ref });
    const commitmentTx = valid(broadcast['transaction'], [{ scriptPubKeyHex: hex(pair.fundingScriptPubKey()), amountSat: FUNDING_SAT }]);
    assert.ok(equal(transactionId(commitmentTx), commitment.txid), 'the signer broadcasts the commitment both sides built');
    // Once a commitment may be broadcast, no secret is released any more.
    await assert.rejects(pair.call('alice', 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(n) }), /policy-revoke-not-closed/);

    // HTLC-timeout for what Alice offered, HTLC-success (with the preimage) for what she received.
    const htlcTxs = buildHtlcTransactions(commitment);
    assert.equal(htlcTxs.length, 3);
    let timeoutTx: Transaction | undefined;
    for (const t of htlcTxs) {
      const model = [h2, h3, h4].find((h) => h.id === t.htlc.id && (h.offerer === 'alice') === (t.htlc.direction === 'offered'))!;
      const r = await pair.call('alice', 'SignHolderHtlcTransaction', {
        channel: pair.ref,
        commitment_number: String(n),
        htlc_id: t.htlc.id.toString(),
        payment_preimage: t.htlc.direction === 'received' ? Buffer.from(model.preimage) : Buffer.alloc(0),
      });
      const tx = valid(r['transaction'], [outputOf(commitment, t.spent.index)]);
      if (t.htlc.id === h2.id && t.htlc.direction === 'offered') timeoutTx = tx;
    }
    assert.ok(timeoutTx);

    // Sweeps: Alice's to_local after the delay, the HTLC-timeout output after the delay, her anchor;
    // Bob's to_remote on Alice's commitment.
    const toLocal = commitment.outputs.find((o) => o.kind === 'to_local')!;
    const aliceDest = await newScript(pair, 'alice');
    const sweepLocal = await pair.call('alice', 'SignSweep', {
      channel: pair.ref,
      kind: 'SWEEP_KIND_TO_LOCAL',
      outpoint: { txid: internal(commitment.txid), vout: toLocal.index },
      amount_sat: toLocal.amountSat.toString(),
      commitment_number: String(n),
      destination_script: aliceDest,
      fee_sat: '1000',
    });
    valid(sweepLocal['transaction'], [outputOf(commitment, toLocal.index)]);

    const secondStage = timeoutTx!.outputs[0]!;
    const sweepHtlc = await pair.call('alice', 'SignSweep', {
      channel: pair.ref,
      kind: 'SWEEP_KIND_HTLC_OUTPUT',
      outpoint: { txid: internal(transactionId(timeoutTx!)), vout: 0 },
      amount_sat: secondStage.amountSat.toString(),
      commitment_number: String(n),
      destination_script: aliceDest,
      fee_sat: '1000',
    });
    valid(sweepHtlc['transaction'], [{ scriptPubKeyHex: hex(secondStage.script), amountSat: secondStage.amountSat }]);

    const toRemote = commitment.outputs.find((o) => o.kind === 'to_remote')!;
    const sweepRemote = await pair.call('bob', 'SignSweep', {
      channel: pair.ref,
      kind: 'SWEEP_KIND_TO_REMOTE',
      outpoint: { txid: internal(commitment.txid), vout: toRemote.index },
      amount_sat: toRemote.amountSat.toString(),
      commitment_number: String(n),
      destination_script: await newScript(pair, 'bob'),
      fee_sat: '1000',
    });
    valid(sweepRemote['transaction'], [outputOf(commitment, toRemote.index)]);

    if (channelType === 'anchors') {
      const anchor = commitment.outputs.find((o) => o.kind === 'local_anchor')!;
      const sweepAnchor = await pair.call('alice', 'SignSweep', {
        channel: pair.ref,
        kind: 'SWEEP_KIND_ANCHOR',
        outpoint: { txid: internal(commitment.txid), vout: anchor.index },
        amount_sat: '330',
        commitment_number: String(n),
        destination_script: aliceDest,
        fee_sat: '200',
      });
      valid(sweepAnchor['transaction'], [outputOf(commitment, anchor.index)]);
    }

    // --- Justice: Bob's revoked commitment (with h2, h3 and his to_local) claimed by Alice.
    const revoked = pair.rebuild('bob', revokedNumber);
    const claim = revoked.outputs.filter((o) => o.kind === 'to_local' || o.kind === 'htlc');
    assert.equal(claim.length, 3, 'to_local and two HTLC outputs');
    const justice = await pair.call('alice', 'SignJustice', {
      channel: pair.ref,
      revoked_commitment_number: String(revokedNumber),
      outpoints: claim.map((o) => ({ txid: internal(revoked.txid), vout: o.index })),
      amounts_sat: claim.map((o) => o.amountSat.toString()),
      destination_script: aliceDest,
      fee_sat: '2000',
    });
    valid(justice['transaction'], claim.map((o) => outputOf(revoked, o.index)));

    // Justice against the output of Bob's HTLC transaction from that revoked commitment (second stage).
    const bobHtlcTx = buildHtlcTransactions(revoked)[0]!;
    const stage2 = bobHtlcTx.tx.outputs[0]!;
    const justice2 = await pair.call('alice', 'SignJustice', {
      channel: pair.ref,
      revoked_commitment_number: String(revokedNumber),
      outpoints: [{ txid: internal(transactionId(bobHtlcTx.tx)), vout: 0 }],
      amounts_sat: [stage2.amountSat.toString()],
      destination_script: aliceDest,
      fee_sat: '1000',
    });
    valid(justice2['transaction'], [{ scriptPubKeyHex: hex(stage2.script), amountSat: stage2.amountSat }]);

    // The current (unrevoked) commitment is not a justice target.
    await assert.rejects(
      pair.call('alice', 'SignJustice', {
        channel: pair.ref,
        revoked_commitment_number: String(pair.nextHolder.bob - 1),
        outpoints: [{ txid: Buffer.alloc(32, 1), vout: 0 }],
        amounts_sat: ['100000'],
        destination_script: aliceDest,
        fee_sat: '1000',
      }),
      /revoked_commitment_number: .*not revoked/,
    );
    await closeAll(signers);
  });
}

test('the signer asks the device only to sign and reveal: basepoints are read once per channel', async () => {
  const a = tempDir('signer-calls-a');
  const b = tempDir('signer-calls-b');
  dirs.push(a, b);
  const devices = { alice: MemoryDevice.fromByte(7), bob: MemoryDevice.fromByte(8) };
  const signers = { alice: await openSigner(a, devices.alice), bob: await openSigner(b, devices.bob) };
  const pair = await openChannel(signers, 'static_remotekey');
  const keysRead = devices.alice.count('getPublicKey');
  const pointsRead = devices.alice.count('perCommitmentPoint');
  for (let i = 0; i < 5; i++) {
    const h = await pair.pay('alice', 1_000_000n, i);
    await pair.update();
    pair.fulfill(h);
    await pair.update();
  }
  assert.equal(devices.alice.count('getPublicKey'), keysRead, 'no public key is read again');
  // Two rounds per payment, one new point per round on each commitment side (N+2 at revoke).
  assert.ok(devices.alice.count('perCommitmentPoint') - pointsRead <= 10 * 2, `${devices.alice.count('perCommitmentPoint') - pointsRead} point reads`);
  assert.equal(compare(signers.alice.nodeId, signers.bob.nodeId) !== 0, true);
  await closeAll(signers);
});

export type { Msg };

test('ValidateHolderCommitment with revoke_previous validates N+1 and revokes N in one request, with the secret RevokeHolderCommitment would give', async () => {
  const signers = await twoSigners(41);
  try {
    const pair = await openChannel(signers, 'anchors', 41);
    const first = await pair.signCommitmentOf('bob', 0, pair.info('bob', 0));
    await assert.rejects(
      pair.call('bob', 'ValidateHolderCommitment', { channel: pair.ref, commitment: pair.info('bob', 0), counterparty_signature: first['signature'], htlc_signatures: [], revoke_previous: true }),
      /revoke_previous: holder commitment 0 has no previous commitment to revoke/,
    );
    await pair.pay('alice', 10_000_000n, 1);
    const n = pair.nextHolder.bob;
    const info = pair.info('bob', n);
    const signed = await pair.signCommitmentOf('bob', n, info);
    const request = { channel: pair.ref, commitment: info, counterparty_signature: signed['signature'], htlc_signatures: signed['htlc_signatures'], revoke_previous: true };
    const combined = await pair.call('bob', 'ValidateHolderCommitment', request);
    assert.equal(combined['per_commitment_secret'].length, 32);
    // The peer checks it against our point of N-1... and the secret is what a separate revocation (now a retransmission) gives.
    const separate = await pair.call('bob', 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(n - 1) });
    assert.deepEqual(separate['per_commitment_secret'], combined['per_commitment_secret']);
    assert.deepEqual(separate['next_per_commitment_point'], combined['next_per_commitment_point']);
    // Repeated as a whole (a retry after a lost answer): the same answer, nothing new revoked.
    assert.deepEqual(await pair.call('bob', 'ValidateHolderCommitment', request), combined);
    // Revoking N itself still waits for N+1.
    await assert.rejects(pair.call('bob', 'RevokeHolderCommitment', { channel: pair.ref, commitment_number: String(n) }), /policy-revoke/);
  } finally {
    await closeAll(signers);
  }
});
