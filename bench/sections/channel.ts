// Payments over one channel between two real Vigil nodes on loopback: the embedded chain, and for
// alice and bob each an HSM emulator, a signer and a node as child processes (the stack of
// test/node-channels.test.ts). Alice opens a channel to bob, then pays invoices bob created beforehand:
// one at a time (latency from the Pay call to its settled answer), then many with a fixed number in
// flight. The signers' audit logs give what a payment costs in signer calls.
import { eventually, tempDir } from '../../test/helpers/node-stack.js';
import { auditOps, channelOf, fundAliceAndConnect, openAliceToBob, PEOPLE, startTwoNodeStack, type TwoNodeStack, type Who } from '../../test/helpers/two-node-stack.js';
import { percentile } from '../measure.js';

const SEQUENTIAL = 200;
const CONCURRENT = 200;
const IN_FLIGHT = 20;
const CAPACITY_SAT = 1_000_000n;
/** 1,000 sat: above dust, so every HTLC is an output of the commitments the signers sign. */
const AMOUNT_MSAT = 1_000_000n;

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/** Bob's invoices, created before any timing; returns them and the creation times. */
async function createInvoices(stack: TwoNodeStack, count: number, tag: string): Promise<{ invoices: string[]; ms: number[] }> {
  const invoices: string[] = [];
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const inv = await stack.apis.bob.call('CreateInvoice', { amount_msat: AMOUNT_MSAT.toString(), description: `bench ${tag} ${i}` });
    ms.push(performance.now() - start);
    invoices.push(inv['invoice'] as string);
  }
  return { invoices, ms };
}

/** Alice pays `invoice`; throws unless the answer says it succeeded. */
async function pay(stack: TwoNodeStack, invoice: string): Promise<void> {
  const r = await stack.apis.alice.call('Pay', { invoice, timeout_seconds: 60 }, 90_000);
  const payment = r['payment'] as Record<string, unknown> | undefined;
  if (payment?.['status'] !== 'succeeded') throw new Error(`payment failed: status ${String(payment?.['status'])}, ${String(payment?.['failure_reason'])}`);
}

/** Waits until neither side has an HTLC pending, so the audit logs hold every call of the batch. */
async function settled(stack: TwoNodeStack): Promise<void> {
  for (const who of PEOPLE) await eventually(`${who} has no pending HTLC`, async () => (Number((await channelOf(stack, who))['pending_htlcs']) === 0 ? true : undefined), 60_000);
}

type OpCounts = Record<string, number>;

/** Signer calls per payment, by side and operation, from the audit lines added since `before`. */
function callsPerPayment(stack: TwoNodeStack, before: Record<Who, number>, payments: number): Record<Who, OpCounts> & { total: number } {
  const out = { alice: {} as OpCounts, bob: {} as OpCounts, total: 0 };
  for (const who of PEOPLE) {
    const added = auditOps(stack, who).slice(before[who]);
    for (const op of added) out[who][op] = (out[who][op] ?? 0) + 1;
    for (const op of Object.keys(out[who])) out[who][op] = round2(out[who][op]! / payments);
    out.total += added.length;
  }
  out.total = round2(out.total / payments);
  return out;
}

const auditLengths = (stack: TwoNodeStack): Record<Who, number> => ({ alice: auditOps(stack, 'alice').length, bob: auditOps(stack, 'bob').length });

const describe = (c: Record<Who, OpCounts>): string =>
  PEOPLE.map((who) => `${who}: ` + Object.entries(c[who]).map(([op, n]) => `${n} ${op}`).join(', ')).join('; ');

export async function run() {
  const work = tempDir('bench-channel');
  let stack: TwoNodeStack | undefined;
  try {
    stack = await startTwoNodeStack(work.dir);
    await fundAliceAndConnect(stack);
    await openAliceToBob(stack, CAPACITY_SAT);
    const s = stack;

    const sequentialInvoices = await createInvoices(s, SEQUENTIAL, 'sequential');
    const concurrentInvoices = await createInvoices(s, CONCURRENT, 'concurrent');

    // Warm-up, untimed: the first payment may wait for the channel to be usable by Pay.
    const [warm] = (await createInvoices(s, 1, 'warm-up')).invoices;
    await eventually('the first payment goes through', async () => pay(s, warm!).then(() => true), 60_000);
    await settled(s);

    // One at a time.
    const seqAuditStart = auditLengths(s);
    const latencies: number[] = [];
    const seqStart = performance.now();
    for (const invoice of sequentialInvoices.invoices) {
      const start = performance.now();
      await pay(s, invoice);
      latencies.push(performance.now() - start);
    }
    const seqSeconds = (performance.now() - seqStart) / 1000;
    await settled(s);
    const seqCalls = callsPerPayment(s, seqAuditStart, SEQUENTIAL);

    // IN_FLIGHT at once: each worker takes the next invoice when its payment settles.
    const conAuditStart = auditLengths(s);
    const queue = [...concurrentInvoices.invoices];
    const conStart = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let invoice = queue.shift(); invoice !== undefined; invoice = queue.shift()) await pay(s, invoice);
      }),
    );
    const conSeconds = (performance.now() - conStart) / 1000;
    await settled(s);
    const conCalls = callsPerPayment(s, conAuditStart, CONCURRENT);

    return {
      payments_per_s: round2(SEQUENTIAL / seqSeconds),
      payment_latency_p50_ms: round2(percentile(latencies, 50)),
      payment_latency_p99_ms: round2(percentile(latencies, 99)),
      concurrent_payments_per_s: round2(CONCURRENT / conSeconds),
      invoice_p50_ms: round2(percentile([...sequentialInvoices.ms, ...concurrentInvoices.ms], 50)),
      signer_calls_per_payment: { sequential: seqCalls, concurrent: conCalls },
      samples: { sequential: SEQUENTIAL, concurrent: CONCURRENT, in_flight: IN_FLIGHT, amount_msat: Number(AMOUNT_MSAT) },
      notes:
        `one alice->bob channel, real nodes/signers/HSM emulators on loopback. ` +
        `Signer calls per payment (audit.jsonl lines / payments), sequential: ${seqCalls.total} (${describe(seqCalls)}); ` +
        `${IN_FLIGHT} in flight: ${conCalls.total} (${describe(conCalls)}).`,
    };
  } finally {
    await stack?.stop();
    work.remove();
  }
}
