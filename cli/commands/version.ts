import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { secp } from '../../bolt/crypto/secp256k1.js';

export const command: Command = {
  summary: 'print the version and the secp256k1 backend in use',
  usage: '',
  async run() {
    const pkgUrl = new URL('../../../package.json', import.meta.url);
    const pkg = JSON.parse(readFileSync(pkgUrl, 'utf8')) as { version: string };
    process.stdout.write(JSON.stringify({ vigil: pkg.version, secp256k1: secp.name }) + '\n');
    return 0;
  },
};
