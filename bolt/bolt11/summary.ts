// A decoded invoice as plain JSON data: what `vigil decode` prints and what the vector file lists.
import { hex } from '../bytes.js';
import { formatShortChannelId } from '../codec/short-channel-id.js';
import { featureName } from '../features.js';
import { fallbackToAddress } from './fallback.js';
import type { Invoice } from './invoice.js';
import type { Network } from './network.js';

export interface RouteHopSummary {
  readonly pubkey: string;
  /** BOLT 7 notation: block x transaction index x output index. */
  readonly short_channel_id: string;
  readonly fee_base_msat: number;
  readonly fee_proportional_millionths: number;
  readonly cltv_expiry_delta: number;
}

export interface FeatureSummary {
  readonly bit: number;
  /** BOLT 9 name, null when this build does not know the bit. */
  readonly name: string | null;
  /** Even bits are required ("it's ok to be odd"). */
  readonly required: boolean;
}

export interface InvoiceSummary {
  readonly network: Network;
  /** Number when exactly representable (<= 2^53), decimal string otherwise; absent for "any amount". */
  readonly amount_msat?: number | string;
  readonly timestamp: number;
  readonly payment_hash: string;
  readonly payment_secret: string;
  readonly description?: string;
  readonly description_hash?: string;
  readonly payee: string;
  readonly expiry: number;
  readonly min_final_cltv_expiry_delta: number;
  readonly fallbacks: readonly string[];
  readonly route_hints: readonly (readonly RouteHopSummary[])[];
  readonly features: readonly FeatureSummary[];
  readonly metadata?: string;
}

const MAX_EXACT = 2n ** 53n;

export function invoiceSummary(invoice: Invoice): InvoiceSummary {
  const amount = invoice.amountMsat;
  return {
    network: invoice.network,
    ...(amount === undefined ? {} : { amount_msat: amount <= MAX_EXACT ? Number(amount) : amount.toString() }),
    timestamp: invoice.timestamp,
    payment_hash: hex(invoice.paymentHash),
    payment_secret: hex(invoice.paymentSecret),
    ...(invoice.description === undefined ? {} : { description: invoice.description }),
    ...(invoice.descriptionHash === undefined ? {} : { description_hash: hex(invoice.descriptionHash) }),
    payee: hex(invoice.payee),
    expiry: invoice.expiry,
    min_final_cltv_expiry_delta: invoice.minFinalCltvExpiryDelta,
    fallbacks: invoice.fallbacks.map((f) => fallbackToAddress(invoice.network, f)),
    route_hints: invoice.routeHints.map((route) =>
      route.map((hop) => ({
        pubkey: hex(hop.pubkey),
        short_channel_id: formatShortChannelId(hop.shortChannelId),
        fee_base_msat: hop.feeBaseMsat,
        fee_proportional_millionths: hop.feeProportionalMillionths,
        cltv_expiry_delta: hop.cltvExpiryDelta,
      })),
    ),
    features: invoice.features.map((bit) => ({ bit, name: featureName(bit) ?? null, required: bit % 2 === 0 })),
    ...(invoice.metadata === undefined ? {} : { metadata: hex(invoice.metadata) }),
  };
}
