// The emulator's seed at rest: the BIP39 entropy, encrypted under a passphrase.
// scrypt(passphrase, salt) -> 32-byte key -> ChaCha20-Poly1305 over the entropy, the header as AAD.
//
// seed file, version 1 (all integers big-endian):
//   offset  size  field
//   0       4     magic "VHSM"
//   4       1     version = 1
//   5       1     scrypt log2(N)   (14..20)
//   6       1     scrypt r         (1..16)
//   7       1     scrypt p         (1..4)
//   8       16    scrypt salt
//   24      12    ChaCha20-Poly1305 nonce
//   36      n     ciphertext of the BIP39 entropy (n = 16, 20, 24, 28 or 32)
//   36+n    16    Poly1305 tag
// The 36 header bytes are the AEAD's associated data, so a changed parameter fails like a changed byte
// of ciphertext. The file is written once, never rewritten: `createSeedFile` refuses an existing one.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';

export const SEED_FILE_NAME = 'seed.enc';
const MAGIC = Uint8Array.from([0x56, 0x48, 0x53, 0x4d]); // "VHSM"
const VERSION = 1;
const HEADER_BYTES = 36;
const TAG_BYTES = 16;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const ENTROPY_LENGTHS = [16, 20, 24, 28, 32];

/** Defaults for new files: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s). */
export const DEFAULT_SCRYPT = { logN: 15, r: 8, p: 1 } as const;
export interface ScryptParams {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

/** A seed file that is missing, unreadable, malformed, or does not open under the passphrase. */
export class SeedFileError extends Error {
  override readonly name = 'SeedFileError';
}

export function seedFilePath(dataDir: string): string {
  return join(dataDir, SEED_FILE_NAME);
}

function checkParams(params: ScryptParams, where: string): void {
  const { logN, r, p } = params;
  if (!Number.isInteger(logN) || logN < 14 || logN > 20) throw new SeedFileError(`${where}: scrypt log2(N) ${logN} is outside 14..20`);
  if (!Number.isInteger(r) || r < 1 || r > 16) throw new SeedFileError(`${where}: scrypt r ${r} is outside 1..16`);
  if (!Number.isInteger(p) || p < 1 || p > 4) throw new SeedFileError(`${where}: scrypt p ${p} is outside 1..4`);
}

function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Buffer {
  const N = 2 ** params.logN;
  return scryptSync(passphrase.normalize('NFKC'), salt, 32, { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 });
}

function checkPassphrase(passphrase: string): void {
  if (passphrase.length === 0) throw new SeedFileError('the passphrase is empty');
}

/** Validates and normalises a BIP39 English mnemonic; the error never repeats the words. */
export function normaliseMnemonic(text: string, where: string): string {
  const words = text.trim().toLowerCase().split(/\s+/u).filter((w) => w.length > 0);
  const mnemonic = words.join(' ').normalize('NFKD');
  if (![12, 15, 18, 21, 24].includes(words.length)) {
    throw new SeedFileError(`${where}: a BIP39 mnemonic has 12, 15, 18, 21 or 24 words, got ${words.length}`);
  }
  if (!validateMnemonic(mnemonic, wordlist)) {
    throw new SeedFileError(`${where}: not a valid BIP39 English mnemonic (unknown word or bad checksum)`);
  }
  return mnemonic;
}

/** The file bytes for `mnemonic` under `passphrase`. `random` supplies salt and nonce (tests may fix it). */
export function sealMnemonic(
  mnemonic: string,
  passphrase: string,
  params: ScryptParams = DEFAULT_SCRYPT,
  random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n)),
): Uint8Array {
  checkPassphrase(passphrase);
  checkParams(params, 'new seed file');
  const entropy = mnemonicToEntropy(normaliseMnemonic(mnemonic, 'mnemonic'), wordlist);
  const salt = random(SALT_BYTES);
  const nonce = random(NONCE_BYTES);
  const header = new Uint8Array(HEADER_BYTES);
  header.set(MAGIC, 0);
  header[4] = VERSION;
  header[5] = params.logN;
  header[6] = params.r;
  header[7] = params.p;
  header.set(salt, 8);
  header.set(nonce, 24);
  const key = deriveKey(passphrase, salt, params);
  try {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(header, { plaintextLength: entropy.length });
    const body = Buffer.concat([cipher.update(entropy), cipher.final(), cipher.getAuthTag()]);
    const out = new Uint8Array(HEADER_BYTES + body.length);
    out.set(header, 0);
    out.set(body, HEADER_BYTES);
    return out;
  } finally {
    key.fill(0);
    entropy.fill(0);
  }
}

/** The mnemonic sealed in `file` (bytes of a seed file); `where` names the file in errors. */
export function openSeed(file: Uint8Array, passphrase: string, where: string): string {
  checkPassphrase(passphrase);
  const minimum = HEADER_BYTES + ENTROPY_LENGTHS[0]! + TAG_BYTES;
  if (file.length < 5) throw new SeedFileError(`${where}: truncated: ${file.length} bytes, a seed file has at least ${minimum}`);
  if (!MAGIC.every((b, i) => file[i] === b)) throw new SeedFileError(`${where}: not a Vigil HSM seed file (bad magic)`);
  if (file[4] !== VERSION) throw new SeedFileError(`${where}: unsupported seed file version ${file[4]} (this emulator reads ${VERSION})`);
  if (file.length < minimum) throw new SeedFileError(`${where}: truncated: ${file.length} bytes, a seed file has at least ${minimum}`);
  const cipherLength = file.length - HEADER_BYTES - TAG_BYTES;
  if (!ENTROPY_LENGTHS.includes(cipherLength)) {
    throw new SeedFileError(`${where}: truncated or padded: ${file.length} bytes is not the size of any seed file`);
  }
  const params = { logN: file[5]!, r: file[6]!, p: file[7]! };
  checkParams(params, where);
  const header = file.subarray(0, HEADER_BYTES);
  const key = deriveKey(passphrase, file.subarray(8, 24), params);
  let entropy: Buffer;
  try {
    const decipher = createDecipheriv('chacha20-poly1305', key, file.subarray(24, HEADER_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(header, { plaintextLength: cipherLength });
    decipher.setAuthTag(file.subarray(HEADER_BYTES + cipherLength));
    entropy = Buffer.concat([decipher.update(file.subarray(HEADER_BYTES, HEADER_BYTES + cipherLength)), decipher.final()]);
  } catch {
    throw new SeedFileError(`${where}: cannot decrypt: wrong passphrase, or the file was modified`);
  } finally {
    key.fill(0);
  }
  try {
    return entropyToMnemonic(entropy, wordlist);
  } finally {
    entropy.fill(0);
  }
}

/** Reads and opens `<dataDir>/seed.enc`. Never writes. */
export function readSeedFile(dataDir: string, passphrase: string): string {
  const path = seedFilePath(dataDir);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SeedFileError(`${path}: no seed file (run "vigil hsm-emulator init --data-dir ${dataDir}" first)`);
    throw new SeedFileError(`${path}: cannot read: ${(e as Error).message}`);
  }
  return openSeed(bytes, passphrase, path);
}

/**
 * Seals `mnemonic` into `<dataDir>/seed.enc` (mode 0600), creating the directory (0700) if needed.
 * Writes a temporary file, fsyncs it, then hard-links it into place: the link fails when a seed file
 * exists, so an existing seed is never replaced, even by two inits racing.
 */
export function createSeedFile(dataDir: string, mnemonic: string, passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): string {
  const path = seedFilePath(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (exists(path)) throw new SeedFileError(`${path}: a seed file already exists; refusing to overwrite it`);
  const sealed = sealMnemonic(mnemonic, passphrase, params);
  const tmp = join(dataDir, `.${SEED_FILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      writeSync(fd, sealed);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new SeedFileError(`${path}: a seed file already exists; refusing to overwrite it`);
      throw new SeedFileError(`${path}: cannot write: ${(e as Error).message}`);
    }
  } finally {
    unlinkSync(tmp);
  }
  syncDirectory(dataDir);
  return path;
}

function exists(path: string): boolean {
  try {
    closeSync(openSync(path, 'r'));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new SeedFileError(`${path}: cannot check: ${(e as Error).message}`);
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
