// A stand-in signer that answers every request of the channel machine at once with well-formed
// (but meaningless) data: valid points, 64-byte signatures, 32-byte secrets. Only for measuring the
// machine's own cost; every test of behaviour uses the real SignerService (channel-driver.ts).
import { sha256 } from '../../bolt/crypto/hash.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import type { ChannelEvent, SignerEffect } from '../../node/channel/index.js';

const POINTS = Array.from({ length: 8 }, (_, i) => secp.publicKey(sha256(Uint8Array.of(0x5e, i))));
const SIGNATURE = new Uint8Array(64).fill(0x11);

export class StubSigner {
  #n = 0;
  readonly #base: number;

  constructor(base: number) {
    this.#base = base;
  }

  #point(): Uint8Array {
    return POINTS[(this.#base + this.#n++) % POINTS.length]!;
  }

  #revocation(): object {
    return { per_commitment_secret: sha256(Uint8Array.of(this.#n++ & 0xff)), next_per_commitment_point: this.#point() };
  }

  answer(e: SignerEffect): ChannelEvent {
    const call = e.call;
    let response: object;
    switch (call.method) {
      case 'NewChannel':
        response = {
          basepoints: {
            funding_pubkey: POINTS[this.#base % 8]!,
            revocation_basepoint: POINTS[(this.#base + 1) % 8]!,
            payment_basepoint: POINTS[(this.#base + 2) % 8]!,
            delayed_payment_basepoint: POINTS[(this.#base + 3) % 8]!,
            htlc_basepoint: POINTS[(this.#base + 4) % 8]!,
          },
          first_per_commitment_point: this.#point(),
        };
        break;
      case 'GetPerCommitmentPoint':
        response = { per_commitment_point: this.#point() };
        break;
      case 'SignCounterpartyCommitment':
        response = { signature: SIGNATURE, htlc_signatures: call.request.commitment.htlcs.map(() => SIGNATURE) };
        break;
      case 'ValidateHolderCommitment':
        response = 'revoke_previous' in call.request && call.request.revoke_previous === true ? this.#revocation() : {};
        break;
      case 'RevokeHolderCommitment':
        response = this.#revocation();
        break;
      case 'SignMutualClose':
        response = { signature: SIGNATURE };
        break;
      default:
        response = {};
    }
    return { kind: 'signer-reply', requestId: e.requestId, response };
  }
}
