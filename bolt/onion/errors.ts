// Why an incoming onion was refused, carrying exactly what the refusal must send back (BOLT 4 §Failure Messages).
import { hex } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { FAILURE_CODES, type BadOnionFailureName } from './failure-codes.js';

/**
 * The packet itself could not be processed (bad version, unparsable key, HMAC mismatch): a BADONION failure.
 * BOLT 2 §Removing an HTLC: it is returned in `update_fail_malformed_htlc` with `sha256_of_onion`,
 * because the sender's shared secret cannot be trusted to encrypt a failure.
 */
export class BadOnionError extends Error {
  override readonly name = 'BadOnionError';
  readonly failure: BadOnionFailureName;
  readonly failureCode: number;
  /** SHA256 of the whole onion as received. */
  readonly sha256OfOnion: Uint8Array;

  constructor(failure: BadOnionFailureName, packet: Uint8Array, detail: string) {
    const sha256OfOnion = sha256(packet);
    super(`onion refused, ${failure} (0x${FAILURE_CODES[failure].toString(16)}): ${detail}; sha256_of_onion ${hex(sha256OfOnion)}`);
    this.failure = failure;
    this.failureCode = FAILURE_CODES[failure];
    this.sha256OfOnion = sha256OfOnion;
  }
}

/**
 * The packet authenticated but the hop payload addressed to us is malformed or incomplete: BOLT 4
 * `invalid_onion_payload` (PERM|22) with the tlv `type` and its byte `offset` in the decrypted payload
 * when known (0, 0 otherwise). It is returned encrypted to the origin with the hop's shared secret.
 */
export class InvalidOnionPayloadError extends Error {
  override readonly name = 'InvalidOnionPayloadError';
  readonly failureCode = FAILURE_CODES.invalid_onion_payload;
  readonly tlvType: bigint;
  readonly offset: number;

  constructor(detail: string, tlvType = 0n, offset = 0) {
    super(`invalid_onion_payload: ${detail}`);
    this.tlvType = tlvType;
    this.offset = offset;
  }
}
