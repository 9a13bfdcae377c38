// `vigil signer`: the policy-enforcing signer.
//   vigil signer init --data-dir D [--network regtest] [--device-port N] [--device-host H] [--port N]
//   vigil signer run  --data-dir D [--port N] [--device-port N] [--log-level L]
// `run` prints one JSON line on stdout once it serves:
//   {"listening":{"host":"127.0.0.1","port":N},"node_id":"<hex>"}
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino, type LevelWithSilent } from 'pino';
import type { Command } from '../command.js';
import { fail, portOption, UsageError } from '../command.js';
import { loadPolicyConfig } from '../../policy/index.js';
import { createMutualTls } from '../../signer/tls.js';
import { paths, readSettings, writeDataDir, type Network, type SignerSettings } from '../../signer/config.js';
import { EmulatorDevice } from '../../signer/device/emulator-client.js';
import { SignerService } from '../../signer/service/index.js';
import { startSignerServer } from '../../signer/grpc-server.js';

const NAME = 'signer';

const options = {
  'data-dir': { type: 'string' },
  network: { type: 'string' },
  port: { type: 'string' },
  'device-host': { type: 'string' },
  'device-port': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

async function init(values: Record<string, string | undefined>, dataDir: string): Promise<number> {
  const network = (values['network'] ?? 'regtest') as Network;
  if (!['regtest', 'testnet', 'signet', 'bitcoin'].includes(network)) throw new UsageError(`--network: unknown network "${network}"`);
  const settings: SignerSettings = {
    network,
    device: { kind: 'emulator', host: values['device-host'] ?? '127.0.0.1', port: portOption(values['device-port'], '--device-port') ?? 9999 },
    listen: { host: '127.0.0.1', port: portOption(values['port'], '--port') ?? 0 },
  };
  // dist/cli/commands/ when compiled, cli/commands/ when run from the sources (tsx).
  const compiled = new URL('../../../policy/default-policy.yaml', import.meta.url);
  const template = readFileSync(fileURLToPath(existsSync(compiled) ? compiled : new URL('../../policy/default-policy.yaml', import.meta.url)), 'utf8');
  const policyText = template.replace(/^network: .*$/m, `network: ${network}`);
  loadPolicyConfig(policyText); // never write a policy the signer would refuse to load
  writeDataDir(dataDir, settings, await createMutualTls(), policyText);
  const p = paths(dataDir);
  process.stdout.write(
    JSON.stringify({ data_dir: dataDir, node_credentials: { ca: p.caCert, cert: p.nodeCert, key: p.nodeKey }, policy: p.policy }) + '\n',
  );
  return 0;
}

async function run(values: Record<string, string | undefined>, dataDir: string): Promise<number> {
  const settings = readSettings(dataDir);
  const p = paths(dataDir);
  const level = (values['log-level'] ?? 'info') as LevelWithSilent;
  const log = pino({ name: 'signer', level }, pino.destination({ fd: 2, sync: true }));
  const policy = loadPolicyConfig(readFileSync(p.policy, 'utf8'));
  if (policy.network !== settings.network) {
    throw new UsageError(`${p.policy}: network ${policy.network} does not match signer.json network ${settings.network}`);
  }
  const deviceAddress = {
    host: values['device-host'] ?? settings.device.host,
    port: portOption(values['device-port'], '--device-port') ?? settings.device.port,
  };
  // A confirmation waiting on the device's screen holds its connection: approvals get their own.
  const device = await EmulatorDevice.connect(deviceAddress);
  const approvalDevice = await EmulatorDevice.connect(deviceAddress);
  const service = await SignerService.open({ dataDir, device, approvalDevice, policy, network: settings.network });
  const server = await startSignerServer({
    service,
    log,
    host: settings.listen.host,
    port: portOption(values['port'], '--port') ?? settings.listen.port,
    tls: { caPem: readFileSync(p.caCert, 'utf8'), certPem: readFileSync(p.signerCert, 'utf8'), keyPem: readFileSync(p.signerKey, 'utf8') },
  });
  const info = (await service.call('GetNodeInfo', {})) as { node_id: Uint8Array };
  log.info({ port: server.port, network: settings.network }, 'signer serving');
  process.stdout.write(
    JSON.stringify({ listening: { host: settings.listen.host, port: server.port }, node_id: Buffer.from(info.node_id).toString('hex') }) + '\n',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('signer stopping');
  await server.close();
  await service.close();
  await device.close();
  await approvalDevice.close();
  return 0;
}

export const command: Command = {
  summary: 'the policy-enforcing signer: init a data directory, or run the gRPC service',
  usage: 'init --data-dir D [--network regtest] [--device-port N] | run --data-dir D [--port N] [--device-port N]',
  async run(args) {
    try {
      const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
      const sub = positionals[0] ?? 'run';
      const dataDir = values['data-dir'];
      if (dataDir === undefined) throw new UsageError('--data-dir is required');
      if (sub === 'init') return await init(values, dataDir);
      if (sub === 'run') return await run(values, dataDir);
      throw new UsageError(`unknown subcommand "${sub}" (init | run)`);
    } catch (e) {
      return fail(NAME, e instanceof Error ? e.message : String(e));
    }
  },
};
