// Signer answers resume the continuation recorded with the request (states.ts Purpose).
import type { SignerEvent } from './events.js';
import type { Step } from './machine.js';
import type { ChannelState, PendingCall } from './states.js';
import {
  resumeAcceptNewChannel,
  resumeAcceptorSetup,
  resumeAcceptorSignFirst,
  resumeAcceptorValidateFirst,
  resumeFirstPoint,
  resumeFundingConfirmed,
  resumeOpenerSetup,
  resumeOpenerSignFirst,
  resumeOpenerValidateFirst,
  resumeOpenNewChannel,
} from './opening.js';
import { resumeRevokeLocal, resumeSignRemote, resumeValidateLocal, resumeValidateRevocation } from './normal.js';
import { resumeChannelClosed, resumeForceClose, resumeSignClosing } from './closing.js';

/** A signer answer, success or refusal. */
export type SignerAnswer =
  | { readonly ok: true; readonly response: object }
  | { readonly ok: false; readonly code: string; readonly message: string };

export function answerOf(e: SignerEvent): SignerAnswer {
  return e.kind === 'signer-reply' ? { ok: true, response: e.response } : { ok: false, code: e.code, message: e.message };
}

/** Runs the continuation of `pending` (already cleared from `s`). */
export function resume(s: ChannelState, pending: PendingCall, answer: SignerAnswer): Step {
  const p = pending.purpose;
  switch (p.step) {
    case 'open-new-channel':
      return resumeOpenNewChannel(s, p, answer);
    case 'accept-new-channel':
      return resumeAcceptNewChannel(s, p, answer);
    case 'opener-setup':
      return resumeOpenerSetup(s, p, answer);
    case 'opener-sign-first':
      return resumeOpenerSignFirst(s, p, answer);
    case 'opener-validate-first':
      return resumeOpenerValidateFirst(s, answer);
    case 'acceptor-setup':
      return resumeAcceptorSetup(s, p, answer);
    case 'acceptor-validate-first':
      return resumeAcceptorValidateFirst(s, p, answer);
    case 'acceptor-sign-first':
      return resumeAcceptorSignFirst(s, p, answer);
    case 'funding-confirmed':
      return resumeFundingConfirmed(s, answer);
    case 'first-point':
      return resumeFirstPoint(s, answer);
    case 'sign-remote':
      return resumeSignRemote(s, p, answer);
    case 'validate-local':
      return resumeValidateLocal(s, p, answer);
    case 'revoke-local':
      return resumeRevokeLocal(s, p, answer);
    case 'validate-revocation':
      return resumeValidateRevocation(s, p, answer);
    case 'sign-closing':
      return resumeSignClosing(s, p, answer);
    case 'force-close':
      return resumeForceClose(s, answer);
    case 'channel-closed':
      return resumeChannelClosed(s, answer);
  }
}
