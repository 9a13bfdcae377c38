// The signer's data directory: what `vigil signer init` writes and `vigil signer run` reads.
//
//   signer.json      settings below (no secrets)
//   policy.yaml      the policy (vigil policy check / explain)
//   tls/             ca.pem ca.key signer.pem signer.key node.pem node.key (mutual TLS)
//   signer.sqlite    durable channel security state (signer/store)
//   audit.jsonl      hash-chained decisions (vigil audit verify)
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MutualTlsMaterial } from './tls.js';

export type Network = 'regtest' | 'testnet' | 'signet' | 'bitcoin';
const NETWORKS: readonly Network[] = ['regtest', 'testnet', 'signet', 'bitcoin'];

export interface DeviceSettings {
  readonly kind: 'emulator';
  readonly host: string;
  readonly port: number;
}

export interface SignerSettings {
  readonly network: Network;
  readonly device: DeviceSettings;
  readonly listen: { readonly host: string; readonly port: number };
}

export class SignerConfigError extends Error {
  override readonly name = 'SignerConfigError';
}

export const paths = (dataDir: string) => ({
  settings: join(dataDir, 'signer.json'),
  policy: join(dataDir, 'policy.yaml'),
  tlsDir: join(dataDir, 'tls'),
  caCert: join(dataDir, 'tls', 'ca.pem'),
  caKey: join(dataDir, 'tls', 'ca.key'),
  signerCert: join(dataDir, 'tls', 'signer.pem'),
  signerKey: join(dataDir, 'tls', 'signer.key'),
  nodeCert: join(dataDir, 'tls', 'node.pem'),
  nodeKey: join(dataDir, 'tls', 'node.key'),
  audit: join(dataDir, 'audit.jsonl'),
});

function port(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new SignerConfigError(`${key}: expected a port number 0-65535, got ${JSON.stringify(value)}`);
  }
  return value;
}

function host(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new SignerConfigError(`${key}: expected a host name or address`);
  return value;
}

/** Parses and checks signer.json; every error names the key. */
export function parseSettings(text: string, source = 'signer.json'): SignerSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SignerConfigError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw new SignerConfigError(`${source}: expected an object`);
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['network', 'device', 'listen'].includes(key)) throw new SignerConfigError(`${source}: unknown key "${key}"`);
  }
  if (!NETWORKS.includes(o['network'] as Network)) {
    throw new SignerConfigError(`network: expected one of ${NETWORKS.join(', ')}, got ${JSON.stringify(o['network'])}`);
  }
  const device = (o['device'] ?? {}) as Record<string, unknown>;
  if (device['kind'] !== 'emulator') {
    throw new SignerConfigError(`device.kind: expected "emulator" (USB wallets come later), got ${JSON.stringify(device['kind'])}`);
  }
  const listen = (o['listen'] ?? {}) as Record<string, unknown>;
  return {
    network: o['network'] as Network,
    device: { kind: 'emulator', host: host(device['host'], 'device.host'), port: port(device['port'], 'device.port') },
    listen: { host: host(listen['host'], 'listen.host'), port: port(listen['port'], 'listen.port') },
  };
}

export function readSettings(dataDir: string): SignerSettings {
  const file = paths(dataDir).settings;
  if (!existsSync(file)) throw new SignerConfigError(`${file}: missing (run vigil signer init --data-dir ${dataDir})`);
  return parseSettings(readFileSync(file, 'utf8'), file);
}

/** Writes a new data directory; refuses to touch one that already holds a signer. */
export function writeDataDir(dataDir: string, settings: SignerSettings, tls: MutualTlsMaterial, policyText: string): void {
  const p = paths(dataDir);
  if (existsSync(p.settings)) throw new SignerConfigError(`${p.settings}: already exists; refusing to overwrite a signer`);
  mkdirSync(p.tlsDir, { recursive: true, mode: 0o700 });
  const secret = (file: string, text: string) => {
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600);
  };
  writeFileSync(p.caCert, tls.ca.certPem);
  secret(p.caKey, tls.ca.keyPem);
  writeFileSync(p.signerCert, tls.signer.certPem);
  secret(p.signerKey, tls.signer.keyPem);
  writeFileSync(p.nodeCert, tls.node.certPem);
  secret(p.nodeKey, tls.node.keyPem);
  writeFileSync(p.policy, policyText);
  writeFileSync(p.settings, JSON.stringify(settings, null, 2) + '\n');
}
