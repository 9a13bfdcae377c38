// Two channel machines with a stand-in signer answering at once: `process` plus the BOLT codec,
// not the signer's disk or the device. Used by test/channel-machine-volume.test.ts (correctness) and
// bench/sections/channel-machine.ts (rates).
import { sha256 } from '../../bolt/crypto/hash.js';
import { decodeMessage, encodeMessage, type Message } from '../../bolt/messages/index.js';
import { defaultLocalConfig, idleChannel, process, type ChannelEvent, type ChannelState, type Normal } from '../../node/channel/index.js';
import { StubSigner } from './channel-stub-signer.js';

export interface PaymentRun {
  readonly settled: number;
  readonly processCalls: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly alice: Normal;
}

type Name = 'alice' | 'bob';

/** Opens a channel between two machines and pushes `payments` through it in batches of `batch`. */
export function runPayments(payments = 1000, batch = 50): PaymentRun {
  const config = defaultLocalConfig(new Uint8Array(32).fill(6), Uint8Array.of(0, 20, ...new Uint8Array(20).fill(3)));
  const state: Record<Name, ChannelState> = { alice: idleChannel(config, new Uint8Array(33).fill(2)), bob: idleChannel(config, new Uint8Array(33).fill(3)) };
  const signers: Record<Name, StubSigner> = { alice: new StubSigner(0), bob: new StubSigner(4) };
  const queue: { to: Name; event: ChannelEvent }[] = [];
  const preimages = new Map<string, Uint8Array>();
  let processCalls = 0;
  let settled = 0;
  const deliver = (to: Name, event: ChannelEvent): void => {
    processCalls++;
    const [next, effects] = process(state[to], event);
    state[to] = next;
    let settles = 0;
    for (const e of effects) {
      if (e.kind === 'send') queue.push({ to: to === 'alice' ? 'bob' : 'alice', event: { kind: 'message', message: decodeMessage(encodeMessage(e.message)) as Message } });
      else if (e.kind === 'signer') queue.push({ to, event: signers[to].answer(e) });
      else if (e.kind === 'create-funding') queue.push({ to, event: { kind: 'funding-built', commandId: 'f', fundingTxid: new Uint8Array(32).fill(9), fundingVout: 0 } });
      else if (e.kind === 'notify' && e.event.kind === 'htlc-received') {
        const htlc = e.event.htlc;
        queue.push({ to, event: { kind: 'fulfill-htlc', commandId: `f${htlc.id}`, htlcId: htlc.id, preimage: preimages.get(Buffer.from(htlc.paymentHash).toString('hex'))! } });
        settles++;
      } else if (e.kind === 'notify' && e.event.kind === 'payment-settled') settled++;
    }
    if (settles > 0) queue.push({ to, event: { kind: 'sign' } });
  };
  const run = (): void => {
    while (queue.length > 0) {
      const { to, event } = queue.shift()!;
      deliver(to, event);
    }
  };
  queue.push({ to: 'alice', event: { kind: 'open', commandId: 'o', temporaryChannelId: new Uint8Array(32).fill(1), fundingSat: 16_000_000n, pushMsat: 0n, feeratePerKw: 1000 } });
  run();
  for (const name of ['alice', 'bob'] as const) queue.push({ to: name, event: { kind: 'funding-depth', depth: 6, height: 600 } });
  run();
  if (state.alice.kind !== 'normal' || state.bob.kind !== 'normal') throw new Error(`channel did not open: ${state.alice.kind}/${state.bob.kind}`);

  const PAYMENTS = payments;
  const BATCH = batch;
  const onion = new Uint8Array(1366);
  const started = performance.now();
  const cpuStarted = globalThis.process.cpuUsage();
  for (let i = 0; i < PAYMENTS; i += BATCH) {
    for (let j = i; j < i + BATCH; j++) {
      const preimage = sha256(Uint8Array.of(j & 0xff, j >> 8));
      const paymentHash = sha256(preimage);
      preimages.set(Buffer.from(paymentHash).toString('hex'), preimage);
      queue.push({ to: 'alice', event: { kind: 'add-htlc', commandId: `p${j}`, amountMsat: BigInt(1000 + j * 997), paymentHash, cltvExpiry: 700, onion } });
    }
    queue.push({ to: 'alice', event: { kind: 'sign' } });
    run();
  }
  const ms = performance.now() - started;
  const cpu = globalThis.process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { settled, processCalls, wallMs: ms, cpuMs, alice: state.alice as Normal };
}
