// A BOLT 11 invoice signed by the signer (SignInvoice: it signs the invoice it is shown, never a bare
// hash). The node and the test helpers that play a node's part make every invoice this way.
import { buildInvoice, encodeInvoice, unsignedWords, type InvoiceParams } from '../../../bolt/bolt11/index.js';

export type SignerCall = <T extends object>(method: string, request: object) => Promise<T>;

export async function signedInvoice(call: SignerCall, params: InvoiceParams): Promise<string> {
  const unsigned = buildInvoice(params);
  const { hrp, dataWords } = unsignedWords(unsigned);
  const signed = await call<{ signature: Uint8Array; recovery_id: number }>('SignInvoice', { hrp, data_words: Buffer.from(dataWords) });
  return encodeInvoice(unsigned, () => ({ signature: Uint8Array.from(signed.signature), recovery: signed.recovery_id }));
}
