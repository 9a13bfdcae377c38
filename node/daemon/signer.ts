// The node's link to its signer: the mutual-TLS client, the identity the signer holds for us, and the
// BOLT 8 node key built on it. The node never sees the private key: the handshake's two ECDH steps
// are `Ecdh` calls (proto/signer.proto), answered by the signer's device.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hex } from '../../bolt/bytes.js';
import type { NodeKey } from '../../bolt/noise/index.js';
import { SignerClient } from '../signer-client/client.js';
import { DaemonStartError } from './errors.js';

export interface SignerIdentity {
  readonly client: SignerClient;
  /** host:port of the signer. */
  readonly address: string;
  readonly nodeId: Uint8Array;
  readonly nodeIdHex: string;
  /** bitcoin | testnet | signet | regtest. */
  readonly network: string;
  /** emulator | ledger | trezor. */
  readonly device: string;
  /** The node key for BOLT 8, backed by the signer's Ecdh. */
  readonly nodeKey: NodeKey;
}

/** The files `vigil signer init` writes for the node, in the signer's tls/ directory. */
export const SIGNER_TLS_FILES = { ca: 'ca.pem', cert: 'node.pem', key: 'node.key' } as const;

function readTlsFile(dir: string, name: string): string {
  const path = join(dir, name);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new DaemonStartError(`--signer-tls-dir: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * SHA256 of the shared point of the node key and `point`, by the signer. With `stopped`, a signer
 * that cannot be reached is waited for until `stopped()` (SignerClient.callPatiently).
 */
export async function signerEcdh(client: SignerClient, point: Uint8Array, stopped?: () => boolean): Promise<Uint8Array> {
  const request = { point: Buffer.from(point) };
  const r = stopped === undefined ? await client.call<{ shared_secret: Buffer }>('Ecdh', request) : await client.callPatiently<{ shared_secret: Buffer }>('Ecdh', request, stopped);
  if (r.shared_secret.length !== 32) throw new Error(`signer Ecdh: expected a 32-byte shared secret, got ${r.shared_secret.length} bytes`);
  return new Uint8Array(r.shared_secret);
}

/** The BOLT 8 static key of a node whose private key is in the signer. */
export function signerNodeKey(client: SignerClient, nodeId: Uint8Array): NodeKey {
  return { publicKey: Uint8Array.from(nodeId), ecdh: (point) => signerEcdh(client, point) };
}

/**
 * Connects to the signer at `address` with the node's certificate from `tlsDir` and asks who we are.
 * Fails with a DaemonStartError naming the signer and the reason when it cannot.
 */
export async function connectSigner(address: string, tlsDir: string, deadlineMs = 30_000): Promise<SignerIdentity> {
  const client = new SignerClient({
    address,
    caPem: readTlsFile(tlsDir, SIGNER_TLS_FILES.ca),
    certPem: readTlsFile(tlsDir, SIGNER_TLS_FILES.cert),
    keyPem: readTlsFile(tlsDir, SIGNER_TLS_FILES.key),
    deadlineMs,
  });
  let info: { node_id: Buffer; network: string; device: string };
  try {
    info = await client.call('GetNodeInfo', {});
  } catch (e) {
    client.close();
    throw new DaemonStartError(`cannot reach the signer at ${address}: ${(e as Error).message}`);
  }
  if (info.node_id.length !== 33) {
    client.close();
    throw new DaemonStartError(`signer at ${address}: GetNodeInfo returned a ${info.node_id.length}-byte node id (expected 33)`);
  }
  const nodeId = new Uint8Array(info.node_id);
  return { client, address, nodeId, nodeIdHex: hex(nodeId), network: info.network, device: info.device, nodeKey: signerNodeKey(client, nodeId) };
}
