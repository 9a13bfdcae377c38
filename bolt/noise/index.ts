// BOLT 8: encrypted and authenticated transport (Noise_XK handshake, then framed ChaChaPoly messages).
export {
  ACT_ONE_LENGTH,
  ACT_THREE_LENGTH,
  ACT_TWO_LENGTH,
  HANDSHAKE_VERSION,
  HandshakeError,
  initiatorActOne,
  initiatorActThree,
  initiatorReadActTwo,
  responderActTwo,
  responderReadActOne,
  responderReadActThree,
} from './handshake.js';
export type {
  HandshakeFailure,
  HandshakeResult,
  HandshakeState,
  InitiatorActOneSent,
  InitiatorActTwoRead,
  NodeKey,
  ResponderActOneRead,
  ResponderActTwoSent,
} from './handshake.js';
export {
  bodyLength,
  CipherState,
  createTransport,
  KEY_ROTATION_INTERVAL,
  LENGTH_HEADER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageDecryptor,
  MessageEncryptor,
  TransportError,
} from './cipher.js';
export type { TransportKeys } from './cipher.js';
export { decryptWithAd, encryptWithAd, hkdf, MAC_LENGTH } from './primitives.js';
