// The keyless node as one process: the signer link (identity and node key), the chain (followed and
// reported to the signer), the on-chain wallet, the peers (BOLT 8 with the signer's key), the cache
// store, the ChannelService seam, and the user API. startNodeDaemon brings them up in dependency
// order and fails with a DaemonStartError naming the part that could not start; close() takes them
// down in reverse.
import { mkdirSync } from 'node:fs';
import { fromHex } from '../../bolt/bytes.js';
import { BitcoindRpcClient, type BlockchainInfo } from '../chain/rpc-client.js';
import type { Logger } from '../log.js';
import { formatNodeAddress, PeerManager, type NodeAddress } from '../peer/index.js';
import { API_HANDLERS, type ApiContext } from './api.js';
import { ensureApiToken, removeApiInfo, startApiServer, writeApiInfo, type ApiServer } from './api-server.js';
import { ChainWatcher } from './chain-watcher.js';
import { channelServiceFactory, type ChannelService, type ChannelServiceFactory } from './channels.js';
import { DaemonStartError } from './errors.js';
import { CHAIN_NAME_OF_NETWORK, initFeatures } from './features.js';
import { connectSigner, type SignerIdentity } from './signer.js';
import { NodeStore } from './store.js';
import { OnchainWallet } from './wallet.js';

/** The API listens on loopback only: it is plain gRPC guarded by a token file. */
export const API_HOST = '127.0.0.1';

export interface NodeDaemonConfig {
  readonly dataDir: string;
  /** host:port of `vigil signer run`. */
  readonly signerAddress: string;
  /** Directory holding ca.pem, node.pem, node.key (the signer's tls/). */
  readonly signerTlsDir: string;
  readonly chainUrl: string;
  readonly chainCookieFile?: string;
  readonly chainUser?: string;
  readonly chainPassword?: string;
  /** Default 127.0.0.1. */
  readonly listenHost?: string;
  /** Default 9735; 0 picks a free port. */
  readonly listenPort?: number;
  /** Default 0: a free port, written to D/api.json. */
  readonly apiPort?: number;
  /** Chain polling interval, default 1000 ms. */
  readonly pollMs?: number;
  readonly log: Logger;
  readonly version: string;
  /** Default: channelServiceFactory of ./channels.ts. */
  readonly channels?: ChannelServiceFactory;
}

export interface RunningNode {
  readonly nodeId: string;
  readonly peer: { readonly host: string; readonly port: number };
  readonly api: { readonly host: string; readonly port: number };
  readonly identity: SignerIdentity;
  readonly peers: PeerManager;
  readonly chain: ChainWatcher;
  readonly wallet: OnchainWallet;
  readonly store: NodeStore;
  readonly channels: ChannelService;
  close(): Promise<void>;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export async function startNodeDaemon(config: NodeDaemonConfig): Promise<RunningNode> {
  const log = config.log;
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (e) {
        log.warn({ err: errorText(e) }, 'error while stopping');
      }
    }
    cleanups.length = 0;
  };
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const store = NodeStore.open(config.dataDir);
    cleanups.push(() => store.close());

    const identity = await connectSigner(config.signerAddress, config.signerTlsDir);
    cleanups.push(() => identity.client.close());
    log.info({ signer: config.signerAddress, nodeId: identity.nodeIdHex, network: identity.network, device: identity.device }, 'signer connected');

    const rpc = new BitcoindRpcClient({
      url: config.chainUrl,
      ...(config.chainCookieFile !== undefined ? { cookieFile: config.chainCookieFile } : {}),
      ...(config.chainUser !== undefined ? { user: config.chainUser, password: config.chainPassword } : {}),
    });
    cleanups.push(() => rpc.close());
    let chainInfo: BlockchainInfo;
    let genesis: string;
    try {
      chainInfo = await rpc.getBlockchainInfo();
      genesis = await rpc.getBlockHash(0);
    } catch (e) {
      throw new DaemonStartError(`cannot reach the chain at ${config.chainUrl}: ${errorText(e)}`);
    }
    const expectedChain = CHAIN_NAME_OF_NETWORK[identity.network];
    if (chainInfo.chain !== expectedChain) {
      throw new DaemonStartError(`the signer is on ${identity.network} but the chain at ${config.chainUrl} is "${chainInfo.chain}" (expected "${expectedChain}")`);
    }
    // BOLT 1 chain_hash: the genesis hash in internal byte order.
    const chainHash = fromHex(genesis, 'genesis hash').reverse();

    const wallet = new OnchainWallet({ signer: identity.client, rpc, store, network: identity.network, log });
    try {
      const recovered = await wallet.recoverAddresses();
      if (recovered === null && store.addresses().length === 0) {
        log.warn('the signer offers no ListWalletAddresses: a node without a cache starts with no wallet addresses (coins on earlier addresses are not counted)');
      }
    } catch (e) {
      log.warn({ err: errorText(e) }, 'could not recover wallet addresses from the signer');
    }

    const chain = new ChainWatcher({ rpc, signer: identity.client, store, log, ...(config.pollMs !== undefined ? { pollMs: config.pollMs } : {}) });
    cleanups.push(() => chain.close());
    let tip;
    try {
      tip = await chain.start();
    } catch (e) {
      throw new DaemonStartError(`cannot follow the chain at ${config.chainUrl} (or report it to the signer): ${errorText(e)}`);
    }
    log.info({ height: tip.height, hash: tip.hash, chain: chainInfo.chain }, 'following the chain');

    const peers = new PeerManager({ localKey: identity.nodeKey, features: initFeatures(), chainHashes: [chainHash], logger: log });
    cleanups.push(() => peers.close());
    let peerAddress;
    try {
      peerAddress = await peers.listen(config.listenPort ?? 9735, config.listenHost ?? '127.0.0.1');
    } catch (e) {
      throw new DaemonStartError(`cannot listen for peers on ${config.listenHost ?? '127.0.0.1'}:${config.listenPort ?? 9735}: ${errorText(e)}`);
    }
    peers.on('peerReady', (peer) => {
      if (store.peers().some((p) => p.nodeId === peer.nodeIdHex)) store.peerConnected(peer.nodeIdHex);
    });

    const channels = (config.channels ?? channelServiceFactory)({
      nodeId: identity.nodeId,
      network: identity.network,
      chainHash,
      signer: identity.client,
      peers,
      rpc,
      chain,
      wallet,
      store,
      log: log.child({ module: 'channels' }),
    });
    cleanups.push(() => channels.close());

    const token = ensureApiToken(config.dataDir);
    let api: ApiServer | undefined;
    const context: ApiContext = {
      identity,
      peers,
      chain,
      rpc,
      chainName: chainInfo.chain,
      wallet,
      store,
      channels,
      peerListen: { host: peerAddress.address, port: peerAddress.port },
      apiListen: () => ({ host: api?.host ?? API_HOST, port: api?.port ?? 0 }),
      version: config.version,
    };
    try {
      api = await startApiServer({ context, handlers: API_HANDLERS, token, host: API_HOST, port: config.apiPort ?? 0, log: log.child({ module: 'api' }) });
    } catch (e) {
      throw new DaemonStartError(`cannot serve the API on ${API_HOST}:${config.apiPort ?? 0}: ${errorText(e)}`);
    }
    const apiServer = api;
    cleanups.push(() => apiServer.close());
    writeApiInfo(config.dataDir, api.host, api.port);
    cleanups.push(() => removeApiInfo(config.dataDir)); // a stopped node leaves no address for the CLI to try

    await channels.start();

    // Peers we were asked to keep: dial them again (in the background; the manager retries with backoff).
    for (const p of store.peers().filter((r) => r.persistent)) {
      const address: NodeAddress = { nodeId: fromHex(p.nodeId, 'node id'), host: p.host, port: p.port };
      peers.connect(address, { persistent: true }).catch((e: unknown) => log.info({ peer: formatNodeAddress(address), err: errorText(e) }, 'remembered peer not reachable yet; retrying'));
    }

    log.info({ peer: peerAddress.port, api: api.port }, 'node serving');
    return {
      nodeId: identity.nodeIdHex,
      peer: { host: peerAddress.address, port: peerAddress.port },
      api: { host: api.host, port: api.port },
      identity,
      peers,
      chain,
      wallet,
      store,
      channels,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
