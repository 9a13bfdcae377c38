// BOLT 11 §Human-Readable Part: `ln` + currency prefix, then the optional amount.
import { formatAmount, parseAmount } from './amount.js';
import { InvoiceError } from './errors.js';
import { NETWORKS, type Network, networkOfPrefix } from './network.js';

export interface HumanReadablePart {
  readonly network: Network;
  readonly amountMsat?: bigint;
}

/** Splits a lower-case hrp (e.g. `lntb20m`) into network and amount. */
export function parseHrp(hrp: string): HumanReadablePart {
  if (!hrp.startsWith('ln')) throw new InvoiceError('unknown-network', `prefix "${hrp}" is not a Lightning invoice (expected ln + currency)`);
  // The currency is letters; the amount starts at the first digit.
  const firstDigit = hrp.slice(2).search(/[0-9]/);
  const prefix = firstDigit < 0 ? hrp : hrp.slice(0, 2 + firstDigit);
  const amountText = firstDigit < 0 ? '' : hrp.slice(2 + firstDigit);
  const network = networkOfPrefix(prefix);
  // "if it does NOT understand the `prefix`: MUST fail the payment."
  if (network === undefined) {
    const known = Object.values(NETWORKS).map((n) => n.invoicePrefix).join(', ');
    throw new InvoiceError('unknown-network', `unknown network prefix "${prefix}" (known: ${known})`);
  }
  // "if the `amount` is empty: SHOULD indicate to the payer that amount is unspecified."
  return amountText === '' ? { network } : { network, amountMsat: parseAmount(amountText) };
}

export function formatHrp(network: Network, amountMsat?: bigint): string {
  return NETWORKS[network].invoicePrefix + (amountMsat === undefined ? '' : formatAmount(amountMsat));
}
