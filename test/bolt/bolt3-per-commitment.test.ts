// BOLT 3 Appendix D: per-commitment secret generation and the compact (shachain) store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { concat, fromHex, hex } from '../../bolt/bytes.js';
import {
  FIRST_COMMITMENT_INDEX,
  ShachainError,
  ShachainStore,
  commitmentNumberFromIndex,
  indexFromCommitmentNumber,
  perCommitmentPoint,
  perCommitmentSecret,
} from '../../bolt/bolt3/per-commitment.js';
import json from '../vectors/bolt03-per-commitment.json' with { type: 'json' };

interface Vectors {
  source: string;
  generation: { name: string; seed: string; I: string; output: string }[];
  storageSeed: string;
  incorrectEntrySeed: string;
  storage: { name: string; failsAtInsert: number | null; inserts: { I: string; secret: string; output: string }[] }[];
  perCommitmentPoint: { per_commitment_secret: string; per_commitment_point: string };
}

const vectors: Vectors = json;

let cases = 0;

test('generate_from_seed matches every Appendix D generation vector', () => {
  assert.equal(vectors.generation.length, 5);
  for (const v of vectors.generation) {
    assert.equal(hex(perCommitmentSecret(fromHex(v.seed), BigInt(v.I))), hex(fromHex(v.output)), v.name);
    cases++;
  }
});

test('every Appendix D storage vector accepts its OK inserts and refuses the ERROR insert, leaving the store as it was', () => {
  assert.equal(vectors.storage.length, 9);
  for (const v of vectors.storage) {
    const store = new ShachainStore();
    const expectedFailure = v.inserts.findIndex((x) => x.output === 'ERROR');
    assert.equal(v.failsAtInsert, expectedFailure < 0 ? null : expectedFailure, `${v.name}: failsAtInsert transcribed`);
    v.inserts.forEach((step, position) => {
      const index = BigInt(step.I);
      const secret = fromHex(step.secret);
      if (step.output === 'OK') {
        store.insert(index, secret);
        assert.equal(hex(store.get(index)!), hex(secret), `${v.name}: insert ${position} readable`);
        return;
      }
      const before = hex(store.serialize());
      assert.throws(
        () => store.insert(index, secret),
        (e: unknown) => e instanceof ShachainError && e.index === index && e.message.includes(String(index)),
        `${v.name}: insert ${position} must fail`,
      );
      assert.equal(hex(store.serialize()), before, `${v.name}: refused insert left the store unchanged`);
      assert.equal(store.lowestIndex, index + 1n);
      assert.equal(store.get(index), undefined);
    });
    cases++;
  }
});

test('the storage vectors correct secrets are generate_from_seed(0xFF..FF, I)', () => {
  const seed = fromHex(vectors.storageSeed);
  const correct = vectors.storage[0]!;
  for (const step of correct.inserts) {
    assert.equal(hex(perCommitmentSecret(seed, BigInt(step.I))), hex(fromHex(step.secret)));
  }
});

test('per-commitment point of the Appendix E per_commitment_secret', () => {
  const v = vectors.perCommitmentPoint;
  assert.equal(hex(perCommitmentPoint(fromHex(v.per_commitment_secret))), hex(fromHex(v.per_commitment_point)));
  cases++;
});

test('commitment number 0 is index 2^48-1 and the mapping round-trips', () => {
  assert.equal(FIRST_COMMITMENT_INDEX, 281474976710655n);
  assert.equal(indexFromCommitmentNumber(0n), FIRST_COMMITMENT_INDEX);
  assert.equal(commitmentNumberFromIndex(FIRST_COMMITMENT_INDEX), 0n);
  assert.equal(commitmentNumberFromIndex(0n), FIRST_COMMITMENT_INDEX);
  for (const n of [1n, 2n, 1000n, 2n ** 47n]) assert.equal(commitmentNumberFromIndex(indexFromCommitmentNumber(n)), n);
  assert.throws(() => indexFromCommitmentNumber(-1n), /commitment number -1/);
  assert.throws(() => indexFromCommitmentNumber(2n ** 48n), /commitment number 281474976710656/);
  assert.throws(() => commitmentNumberFromIndex(2n ** 48n), /index 281474976710656/);
});

test('generation refuses a seed that is not 32 bytes and an index beyond 48 bits', () => {
  assert.throws(() => perCommitmentSecret(new Uint8Array(31), 0n), /seed: expected 32 bytes, got 31/);
  assert.throws(() => perCommitmentSecret(new Uint8Array(32), 2n ** 48n), /index 281474976710656/);
  assert.throws(() => perCommitmentSecret(new Uint8Array(32), -1n), /index -1/);
});

test('1,000 consecutive secrets: at most 49 entries, every earlier secret derivable, serialization round-trips', () => {
  const seed = randomBytes(32);
  const store = new ShachainStore();
  const secrets: Uint8Array[] = [];
  for (let n = 0n; n < 1000n; n++) {
    const index = indexFromCommitmentNumber(n);
    assert.equal(store.nextIndex, index);
    const secret = perCommitmentSecret(seed, index);
    secrets.push(secret);
    store.insert(index, secret);
    assert.ok(store.size <= 49, `size ${store.size} after commitment ${n}`);
    assert.equal(store.lowestIndex, index);
    // the newest and a random earlier secret, every step
    assert.equal(hex(store.get(index)!), hex(secret));
    const earlier = BigInt(Math.floor(Math.random() * (Number(n) + 1)));
    assert.equal(hex(store.get(indexFromCommitmentNumber(earlier))!), hex(secrets[Number(earlier)]!));
    // not-yet-received secrets are not derivable
    if (index > 0n) assert.equal(store.get(index - 1n), undefined);
  }
  for (let n = 0; n < secrets.length; n++) {
    assert.equal(hex(store.get(indexFromCommitmentNumber(BigInt(n)))!), hex(secrets[n]!), `commitment ${n}`);
  }
  const restored = ShachainStore.deserialize(store.serialize());
  assert.equal(restored.lowestIndex, store.lowestIndex);
  assert.equal(restored.size, store.size);
  assert.equal(hex(restored.serialize()), hex(store.serialize()));
  for (let n = 0; n < secrets.length; n++) {
    assert.equal(hex(restored.get(indexFromCommitmentNumber(BigInt(n)))!), hex(secrets[n]!));
  }
  // the restored store keeps accepting the next secrets, and refuses a wrong one as soon as it can tell
  // (index 2^48-1-1001 ends in binary 10, so its secret must derive the one for 2^48-1-1000)
  const next = indexFromCommitmentNumber(1000n);
  restored.insert(next, perCommitmentSecret(seed, next));
  const after = indexFromCommitmentNumber(1001n);
  assert.throws(() => restored.insert(after, randomBytes(32)), ShachainError);
  restored.insert(after, perCommitmentSecret(seed, after));
  assert.equal(restored.lowestIndex, after);
});

test('a run across a 2^12 boundary stays within 49 entries and still derives the first secret', () => {
  const seed = randomBytes(32);
  const store = new ShachainStore();
  for (let n = 0n; n < 4097n; n++) {
    const index = indexFromCommitmentNumber(n);
    store.insert(index, perCommitmentSecret(seed, index));
    assert.ok(store.size <= 49);
  }
  assert.equal(hex(store.get(FIRST_COMMITMENT_INDEX)!), hex(perCommitmentSecret(seed, FIRST_COMMITMENT_INDEX)));
});

test('an empty store round-trips and starts at index 2^48-1', () => {
  const empty = ShachainStore.deserialize(new ShachainStore().serialize());
  assert.equal(empty.lowestIndex, undefined);
  assert.equal(empty.nextIndex, FIRST_COMMITMENT_INDEX);
  assert.equal(empty.size, 0);
  assert.equal(empty.get(FIRST_COMMITMENT_INDEX), undefined);
});

test('inserts out of protocol order are refused with the expected index named', () => {
  const seed = randomBytes(32);
  const store = new ShachainStore();
  assert.throws(() => store.insert(FIRST_COMMITMENT_INDEX - 1n, perCommitmentSecret(seed, FIRST_COMMITMENT_INDEX - 1n)), {
    name: 'ShachainError',
    message: /index 281474976710654 is out of order: expected index 281474976710655/,
  });
  store.insert(FIRST_COMMITMENT_INDEX, perCommitmentSecret(seed, FIRST_COMMITMENT_INDEX));
  assert.throws(() => store.insert(FIRST_COMMITMENT_INDEX - 2n, perCommitmentSecret(seed, FIRST_COMMITMENT_INDEX - 2n)), /expected index 281474976710654/);
  // the same secret again is accepted; a different one for a received index is refused
  store.insert(FIRST_COMMITMENT_INDEX, perCommitmentSecret(seed, FIRST_COMMITMENT_INDEX));
  assert.throws(() => store.insert(FIRST_COMMITMENT_INDEX, randomBytes(32)), /index 281474976710655 differs/);
  assert.equal(store.size, 1);
  assert.throws(() => store.insert(FIRST_COMMITMENT_INDEX - 1n, new Uint8Array(31)), /expected 32 bytes, got 31/);
});

test('deserialize refuses truncated, padded, reordered and inconsistent bytes', () => {
  const seed = randomBytes(32);
  const store = new ShachainStore();
  // 16 secrets: indexes ..ff down to ..f0, held as ..f1, ..f2, ..f4, ..f8, ..f0 (buckets 0..4)
  for (let n = 0n; n < 16n; n++) {
    const index = indexFromCommitmentNumber(n);
    store.insert(index, perCommitmentSecret(seed, index));
  }
  const bytes = store.serialize();
  assert.equal(store.size, 5);
  for (const cut of [0, 1, 2, 10, bytes.length - 1]) {
    assert.throws(() => ShachainStore.deserialize(bytes.slice(0, cut)), { name: 'ShachainStoreFormatError', message: /truncated/ });
  }
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  assert.throws(() => ShachainStore.deserialize(padded), /1 trailing bytes/);

  const badVersion = Uint8Array.from(bytes);
  badVersion[0] = 9;
  assert.throws(() => ShachainStore.deserialize(badVersion), /unknown version 9/);

  const tooMany = Uint8Array.from(bytes);
  tooMany[1] = 50;
  assert.throws(() => ShachainStore.deserialize(tooMany), /50 entries, at most 49/);

  const corrupted = Uint8Array.from(bytes);
  corrupted[corrupted.length - 1]! ^= 1; // a secret in the highest bucket no longer derives the lower ones
  assert.throws(() => ShachainStore.deserialize(corrupted), /does not derive/);

  const swapped = Uint8Array.from(bytes); // swap the first two entries: no longer in bucket order
  swapped.set(bytes.subarray(2 + 40, 2 + 80), 2);
  swapped.set(bytes.subarray(2, 2 + 40), 2 + 40);
  assert.throws(() => ShachainStore.deserialize(swapped), /not in bucket order/);

  const dropped = concat(Uint8Array.of(1, 4), bytes.subarray(2, 2 + 40), bytes.subarray(2 + 80)); // without bucket 1
  assert.throws(() => ShachainStore.deserialize(dropped), /index 281474976710642 is missing/);

  const lowCorrupted = Uint8Array.from(bytes);
  lowCorrupted[2 + 8]! ^= 1; // the bucket 0 secret no longer matches what bucket 4 derives
  assert.throws(() => ShachainStore.deserialize(lowCorrupted), /secret for index 281474976710640 does not derive the stored secret for index 281474976710641/);

  const wideIndex = Uint8Array.from(bytes);
  wideIndex[2] = 0x01; // top byte of the first u64 index
  assert.throws(() => ShachainStore.deserialize(wideIndex), /exceeds 48 bits/);
});

test('per-commitment secret suite case count', () => {
  assert.ok(cases > 0);
  console.log(`BOLT 3 per-commitment secrets: ${cases} cases`);
});
