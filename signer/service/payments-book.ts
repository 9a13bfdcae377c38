// The outgoing payments the signer approved (DESIGN invariant 7), kept in memory for the velocity
// window and for as long as an HTLC of the payment may be in flight (policy/state.ts), and in SQLite
// for good (the audit trail and a restart).
import { hex } from '../../bolt/bytes.js';
import { VELOCITY_WINDOW_MS, type ApprovedPayment } from '../../policy/index.js';
import type { ApprovedPaymentRecord } from '../store/records.js';
import type { SignerStore } from '../store/store.js';

export class PaymentBook {
  #records: ApprovedPaymentRecord[];

  private constructor(records: ApprovedPaymentRecord[]) {
    this.#records = records;
  }

  /** The approvals of the last 24 hours, plus older ones whose payment hash is still in flight. */
  static load(store: SignerStore, now: number, inFlightHashes: ReadonlySet<string>): PaymentBook {
    const recent = store.approvedPaymentsSince(now - VELOCITY_WINDOW_MS);
    const seen = new Set(recent.map((r) => `${hex(r.paymentHash)}:${r.approvedAt}`));
    const older: ApprovedPaymentRecord[] = [];
    for (const h of inFlightHashes) {
      for (const r of store.approvedPaymentsForHash(Uint8Array.from(Buffer.from(h, 'hex')))) {
        if (!seen.has(`${h}:${r.approvedAt}`)) older.push(r);
      }
    }
    return new PaymentBook([...older, ...recent]);
  }

  add(record: ApprovedPaymentRecord): void {
    this.#records.push(record);
  }

  /** Drops approvals that left the window and whose hash is no longer in flight. */
  prune(now: number, inFlightHashes: ReadonlySet<string>): void {
    this.#records = this.#records.filter((r) => now - r.approvedAt < VELOCITY_WINDOW_MS || inFlightHashes.has(hex(r.paymentHash)));
  }

  /** As policy/state.ts wants them: amount plus fee budget, the most the payment may take. */
  forPolicy(onlyHashes?: ReadonlySet<string>): ApprovedPayment[] {
    const out: ApprovedPayment[] = [];
    for (const r of this.#records) {
      const h = hex(r.paymentHash);
      if (onlyHashes !== undefined && !onlyHashes.has(h)) continue;
      out.push({ paymentHash: h, amountMsat: r.amountMsat + r.feeBudgetMsat, approvedAt: r.approvedAt });
    }
    return out;
  }

  get size(): number {
    return this.#records.length;
  }
}
