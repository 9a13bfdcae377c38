// secp256k1 throughput for each backend available, measured in the same run.
import { randomBytes } from 'node:crypto';
import { nativeBackend, nobleBackend, secp, type Secp256k1 } from '../../bolt/crypto/secp256k1.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import { ratePerSecond } from '../measure.js';

function measure(backend: Secp256k1) {
  const key = randomBytes(32), other = randomBytes(32), tweak = sha256(randomBytes(8));
  const digest = sha256(randomBytes(32));
  const pub = backend.publicKey(key), otherPub = backend.publicKey(other);
  const sig = backend.sign(digest, key);
  return {
    ecdsa_sign_per_s: ratePerSecond(() => backend.sign(digest, key)),
    ecdsa_verify_per_s: ratePerSecond(() => backend.verify(sig, digest, pub)),
    ecdh_per_s: ratePerSecond(() => backend.ecdh(key, otherPub)),
    pubkey_tweak_per_s: ratePerSecond(() => backend.publicKeyTweakAdd(pub, tweak)),
  };
}

export async function run() {
  const byBackend: Record<string, ReturnType<typeof measure>> = { noble: measure(nobleBackend) };
  if (nativeBackend) byBackend['native'] = measure(nativeBackend);
  return { backend: secp.name, ...byBackend[secp.name]!, by_backend: byBackend };
}
