// Peer addresses: the `pubkey@host:port` form users type, and the BOLT 7 address descriptor we put in
// `init.remote_addr` to tell an inbound peer how we see it.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { fromHex, hex } from '../../bolt/bytes.js';
import { secp } from '../../bolt/crypto/secp256k1.js';

/** BOLT 1 / BOLT 7: the port nodes listen on unless they say otherwise. */
export const DEFAULT_PORT = 9735;

export interface NodeAddress {
  /** 33-byte compressed public key. */
  readonly nodeId: Uint8Array;
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
}

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

/** Parses `<66 hex pubkey>@host[:port]`; IPv6 hosts go in brackets: `02ab..@[::1]:9735`. */
export function parseNodeAddress(text: string, defaultPort = DEFAULT_PORT): NodeAddress {
  const at = text.indexOf('@');
  if (at < 0) throw new AddressError(`node address "${text}": expected <pubkey>@<host>[:<port>]`);
  const keyText = text.slice(0, at);
  if (!/^[0-9a-fA-F]{66}$/.test(keyText)) throw new AddressError(`node address "${text}": pubkey must be 66 hex characters`);
  const nodeId = fromHex(keyText.toLowerCase(), 'node id');
  if (!secp.isValidPublicKey(nodeId)) throw new AddressError(`node address "${text}": ${keyText} is not a valid compressed secp256k1 point`);
  const rest = text.slice(at + 1);
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new AddressError(`node address "${text}": unterminated [ in host`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new AddressError(`node address "${text}": unexpected "${after}" after ]`);
    portText = after === '' ? undefined : after.slice(1);
    if (!isIPv6(host)) throw new AddressError(`node address "${text}": [${host}] is not an IPv6 address`);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0 && rest.indexOf(':') !== colon) throw new AddressError(`node address "${text}": IPv6 hosts must be written in [brackets]`);
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (host === '') throw new AddressError(`node address "${text}": empty host`);
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new AddressError(`node address "${text}": port "${portText}" is not in 1..65535`);
    }
    port = Number(portText);
  }
  return { nodeId, host, port };
}

/** `host:port`, with an IPv6 host in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function formatNodeAddress(address: NodeAddress): string {
  return `${hex(address.nodeId)}@${formatHostPort(address.host, address.port)}`;
}

// Addresses that do not identify a node on the public internet (BOLT 1: SHOULD NOT set private
// addresses as remote_addr): RFC 1918, loopback, link-local, CGNAT, unspecified, ULA, documentation.
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 3],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['2001:db8::', 32], ['ff00::', 8]] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** `::ffff:a.b.c.d` (how a dual-stack listener reports IPv4 peers) becomes `a.b.c.d`. */
function unmapIPv4(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

export function isPublicAddress(ip: string): boolean {
  const addr = unmapIPv4(ip);
  if (isIPv4(addr)) return !NON_PUBLIC.check(addr, 'ipv4');
  if (isIPv6(addr)) return !NON_PUBLIC.check(addr, 'ipv6');
  return false;
}

function ipv4Bytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map(Number));
}

function ipv6Bytes(ip: string): Uint8Array {
  let text = ip;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail.push(...ipv4Bytes(v4[1]!));
    text = text.slice(0, -v4[1]!.length) + '0:0'; // placeholder groups, overwritten below
  }
  const [left, right] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').filter((g) => g !== '').map((g) => parseInt(g, 16)) : []);
  const head = groups(left);
  const end = groups(right);
  const all = right === undefined ? head : [...head, ...new Array<number>(8 - head.length - end.length).fill(0), ...end];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

/**
 * BOLT 7 §The node_announcement Message, address descriptor: type 1 (IPv4: 4 bytes + port) or
 * type 2 (IPv6: 16 bytes + port). Null for names and for non-public addresses.
 */
export function addressDescriptor(ip: string, port: number): Uint8Array | null {
  const addr = unmapIPv4(ip);
  if (!isPublicAddress(addr) || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  const portBytes = [port >>> 8, port & 0xff];
  if (isIPv4(addr)) return Uint8Array.from([1, ...ipv4Bytes(addr), ...portBytes]);
  if (isIPv6(addr)) return Uint8Array.from([2, ...ipv6Bytes(addr), ...portBytes]);
  return null;
}
