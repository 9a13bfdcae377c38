// ApprovePayment (DESIGN invariant 7): the node asks before it pays an invoice. The signer checks the
// invoice's signature and network, runs the payment rules (velocity over a rolling 24 hours, the
// invoice amount, the fee budget, the approval threshold) and records the approval, which later covers
// the HTLCs of that payment hash in the routing-balance rule (invariant 6).
//
// Above the threshold the policy asks for a person: the device's screen shows the policy's text
// (device.confirm). The signer waits for that answer WITHOUT holding its request lock, so channels keep
// working meanwhile, then re-evaluates (velocity may have changed) with approvedBy = device.
import { hex } from '../../bolt/bytes.js';
import { decodeInvoice, InvoiceError, type Invoice } from '../../bolt/bolt11/index.js';
import { evaluate, type ApprovePayment, type Decision } from '../../policy/index.js';
import { internalError, invalidArgument, policyRefusal } from '../errors.js';
import type { ApprovedPaymentRecord } from '../store/records.js';
import type { Handler, ServiceContext } from './context.js';
import { requestObject, text, u64, MAX_MONEY_SAT } from './fields.js';
import { inFlightHashes, paymentState, requireAllowed } from './policy-bridge.js';

/** BOLT 11 invoices are bech32 without the 90-character limit; 7089 characters holds the largest QR code. */
const MAX_INVOICE_LENGTH = 7089;

function decide(ctx: ServiceContext, request: ApprovePayment): Decision {
  return evaluate(request, paymentState(ctx), ctx.policy, ctx.now());
}

export const approvePayment: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const invoiceText = text(req, 'invoice', '', MAX_INVOICE_LENGTH);
  const amountMsat = u64(req, 'amount_msat', '', { min: 1n, max: MAX_MONEY_SAT * 1000n });
  const feeBudgetMsat = u64(req, 'max_fee_msat', '', { max: MAX_MONEY_SAT * 1000n });
  let invoice: Invoice;
  try {
    invoice = decodeInvoice(invoiceText);
  } catch (e) {
    throw invalidArgument('invoice', e instanceof InvoiceError ? e.message : String(e));
  }
  audit.paymentHash = invoice.paymentHash;
  audit.peerNodeId = invoice.payee;
  audit.amountsMsat = { amount: amountMsat, max_fee: feeBudgetMsat };
  if (invoice.network !== ctx.network) throw invalidArgument('invoice', `network ${invoice.network}, this signer is on ${ctx.network}`);
  const nowSeconds = Math.floor(ctx.now() / 1000);
  if (nowSeconds > invoice.timestamp + invoice.expiry) {
    throw invalidArgument('invoice', `expired ${nowSeconds - invoice.timestamp - invoice.expiry} s ago (BOLT 11 §Requirements: MUST NOT pay an expired invoice)`);
  }

  const policyRequest: ApprovePayment = {
    kind: 'approve-payment',
    paymentHash: hex(invoice.paymentHash),
    amountMsat,
    feeBudgetMsat,
    destination: hex(invoice.payee),
    invoiceAmountMsat: invoice.amountMsat ?? null,
    approvedBy: null,
  };
  let decision = decide(ctx, policyRequest);
  let approvedBy: ApprovedPaymentRecord['approvedBy'] = 'policy';
  if (!decision.allowed && decision.violations.length === 0 && decision.needsApproval) {
    const needed = decision.needsApproval;
    let answer: Awaited<ReturnType<typeof ctx.approvalDevice.confirm>>;
    try {
      answer = await ctx.unlocked(() => ctx.approvalDevice.confirm(needed.text));
    } catch (e) {
      throw internalError(`device confirm: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (answer !== 'approved') throw policyRefusal([{ id: needed.id, detail: `${needed.reason}; the person at the device denied it` }]);
    approvedBy = 'device';
    decision = decide(ctx, { ...policyRequest, approvedBy: 'device' });
  }
  requireAllowed(decision);

  const record: ApprovedPaymentRecord = {
    paymentHash: invoice.paymentHash,
    amountMsat,
    feeBudgetMsat,
    approvedAt: ctx.now(),
    approvedBy,
    destination: invoice.payee,
  };
  return {
    response: { approved: true, reason: approvedBy === 'device' ? 'approved on the device' : 'within policy' },
    reason: `payment approved${approvedBy === 'device' ? ' by a person on the device' : ''}: amount plus fee budget ${amountMsat + feeBudgetMsat} msat`,
    warnings: decision.warnings.map((w) => w.id),
    persist: () => ctx.store.insertApprovedPayment(record),
    commit: () => {
      ctx.payments.add(record);
      ctx.payments.prune(ctx.now(), inFlightHashes(ctx));
    },
  };
};

