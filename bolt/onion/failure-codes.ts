// BOLT 4 §Failure Messages: the failure_code values, as the spec lists them (flags | number).

/** Flag bits of the top byte of `failure_code`. */
export const BADONION = 0x8000; // unparsable onion encrypted by sending peer
export const PERM = 0x4000; //     permanent failure (otherwise transient)
export const NODE = 0x2000; //     node failure (otherwise channel)
export const UPDATE = 0x1000; //   channel forwarding parameter was violated

export const FAILURE_CODES = {
  temporary_node_failure:               NODE | 2,
  permanent_node_failure:               PERM | NODE | 2,
  required_node_feature_missing:        PERM | NODE | 3,
  invalid_onion_version:                BADONION | PERM | 4,
  invalid_onion_hmac:                   BADONION | PERM | 5,
  invalid_onion_key:                    BADONION | PERM | 6,
  temporary_channel_failure:            UPDATE | 7,
  permanent_channel_failure:            PERM | 8,
  required_channel_feature_missing:     PERM | 9,
  unknown_next_peer:                    PERM | 10,
  amount_below_minimum:                 UPDATE | 11,
  fee_insufficient:                     UPDATE | 12,
  incorrect_cltv_expiry:                UPDATE | 13,
  expiry_too_soon:                      UPDATE | 14,
  incorrect_or_unknown_payment_details: PERM | 15,
  final_incorrect_cltv_expiry:          18,
  final_incorrect_htlc_amount:          19,
  channel_disabled:                     UPDATE | 20,
  expiry_too_far:                       21,
  invalid_onion_payload:                PERM | 22,
  mpp_timeout:                          23,
  invalid_onion_blinding:               BADONION | PERM | 24,
} as const;

export type FailureName = keyof typeof FAILURE_CODES;

/** The failures a node sends in `update_fail_malformed_htlc` (BADONION set). */
export type BadOnionFailureName = 'invalid_onion_version' | 'invalid_onion_hmac' | 'invalid_onion_key' | 'invalid_onion_blinding';

const NAME_OF_CODE: ReadonlyMap<number, FailureName> = new Map(
  (Object.keys(FAILURE_CODES) as FailureName[]).map((name) => [FAILURE_CODES[name], name]),
);

/** The spec name of a failure code, or undefined for a code this spec version does not define. */
export function failureName(code: number): FailureName | undefined {
  return NAME_OF_CODE.get(code);
}
