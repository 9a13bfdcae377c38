// The JSON-RPC surface of `vigil chain`, through our bitcoind client and through raw HTTP: every
// client method against the real server, authentication (cookie, user/password, 401), malformed
// requests answered with JSON-RPC errors while the server stays up, and the client's own failures
// (refused, timeout, unreadable cookie) named clearly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fromHex, hex } from '../bolt/bytes.js';
import { sha256d } from '../bolt/crypto/hash.js';
import { BitcoindRpcClient, BitcoindTransportError, btcToSat, satToBtc } from '../node/chain/rpc-client.js';
import type { SpawnedChain } from '../node/chain/server/spawn.js';
import { address, assertRpcError, BTC, buildTx, compiledCli, scriptOf, startChain, tempDataDir, testKey, type Spend } from './helpers/chain.js';

const cli = compiledCli(import.meta.url);
const skip = cli === undefined ? 'needs the compiled CLI: npx tsc -p . first' : false;

const miner: Spend = { kind: 'p2wpkh', key: testKey(21) };
const minerAddress = address(scriptOf(miner));
const payee: Spend = { kind: 'p2wpkh', key: testKey(22) };

interface BitcoreBlock {
  hash: string;
  transactions: { hash: string }[];
  validMerkleRoot(): boolean;
  header: { validProofOfWork(): boolean };
}
const bitcore = createRequire(import.meta.url)('bitcore-lib') as { Block: { fromBuffer(b: Buffer): BitcoreBlock } };

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json?: unknown;
}

/** One HTTP request by hand, to send what our client never would. */
function rawRequest(port: number, auth: string | undefined, body: string | Buffer, options: { method?: string; path?: string } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    if (auth !== undefined) headers['Authorization'] = 'Basic ' + Buffer.from(auth).toString('base64');
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The client's public methods: each must be exercised below (a new method fails this list until it is). */
const CLIENT_METHODS = [
  'close', 'call', 'batch', 'getBlockchainInfo', 'getNetworkInfo', 'getBlockCount', 'getBestBlockHash', 'getBlockHash',
  'getBlockHeader', 'getBlockHeaderHex', 'getBlockHex', 'getBlock', 'getBlockWithTransactions', 'getRawTransactionHex',
  'getRawTransaction', 'decodeRawTransaction', 'getTxOut', 'sendRawTransaction', 'testMempoolAccept', 'getRawMempool',
  'getRawMempoolVerbose', 'getMempoolEntry', 'getMempoolInfo', 'estimateSmartFee', 'generateToAddress', 'generateBlock',
  'scanTxOutSet', 'stop',
];
const PRIVATE_METHODS = ['constructor', 'authorization', 'post', 'exchange'];

describe('vigil chain: JSON-RPC and the bitcoind client', { skip }, () => {
  const data = tempDataDir('rpc');
  let chain: SpawnedChain;
  let rpc: BitcoindRpcClient;
  let auth: string;

  before(async () => {
    chain = await startChain(cli!, data.dir);
    rpc = chain.client();
    auth = readFileSync(chain.cookiePath!, 'utf8');
  });
  after(async () => {
    rpc?.close();
    await chain?.stop();
    data.remove();
  });

  it('the test below covers every public method of the client', () => {
    const names = Object.getOwnPropertyNames(BitcoindRpcClient.prototype).filter((n) => !PRIVATE_METHODS.includes(n));
    assert.deepEqual([...names].sort(), [...CLIENT_METHODS].sort());
  });

  it('every client method against the server', async () => {
    assert.equal(chain.cookiePath, join(data.dir, '.cookie'));
    assert.match(auth, /^__cookie__:[0-9a-f]{64}$/);

    const info = await rpc.getBlockchainInfo();
    assert.equal(info.chain, 'regtest');
    assert.equal(info.blocks, 0);
    assert.equal(info.bestblockhash, '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
    assert.equal(info.initialblockdownload, false);
    const net = await rpc.getNetworkInfo();
    assert.equal(typeof net.version, 'number');
    assert.equal(btcToSat(net.relayfee), 1000n);

    const hashes = await rpc.generateToAddress(101, minerAddress);
    assert.equal(await rpc.getBlockCount(), 101);
    assert.equal(await rpc.getBestBlockHash(), hashes[100]);
    assert.equal(await rpc.getBlockHash(1), hashes[0]);

    const header = await rpc.getBlockHeader(hashes[1]!);
    assert.equal(header.height, 2);
    assert.equal(header.previousblockhash, hashes[0]);
    assert.equal(header.nextblockhash, hashes[2]);
    assert.equal(header.confirmations, 100);
    assert.equal(header.chainwork, (2n * 3n).toString(16).padStart(64, '0'));
    const headerHex = await rpc.getBlockHeaderHex(hashes[1]!);
    assert.equal(hex(sha256d(fromHex(headerHex)).reverse()), hashes[1], 'the header double-SHA256 is the block hash');

    const block = await rpc.getBlock(hashes[100]!);
    assert.equal(block.height, 101);
    assert.equal(block.nTx, 1);
    // An independent parser (bitcore-lib) agrees on hash, transactions, merkle root and proof of work.
    const blockHex = await rpc.getBlockHex(hashes[100]!);
    const parsed = bitcore.Block.fromBuffer(Buffer.from(blockHex, 'hex'));
    assert.equal(parsed.hash, hashes[100]);
    assert.deepEqual(parsed.transactions.map((t) => t.hash), block.tx);
    assert.ok(parsed.validMerkleRoot());
    assert.ok(parsed.header.validProofOfWork());
    assert.equal(blockHex.length / 2, block.size);

    const coinbaseTxid = block.tx[0]!;
    const spendCoinbase = (await rpc.getBlock(hashes[0]!)).tx[0]!;
    const spend = buildTx([{ txid: spendCoinbase, vout: 0, amountSat: 50n * BTC, spend: miner }], [{ script: scriptOf(payee), amountSat: 50n * BTC - 5_000n }]);
    const decoded = await rpc.decodeRawTransaction(spend.hex);
    assert.equal(decoded.txid, spend.txid);
    assert.equal(decoded.vin[0]!.txid, spendCoinbase);
    assert.equal(decoded.vout[0]!.scriptPubKey.address, address(scriptOf(payee)));
    assert.equal(decoded.vin[0]!.txinwitness!.length, 2);

    const [accept] = await rpc.testMempoolAccept([spend.hex]);
    assert.equal(accept!.allowed, true);
    assert.equal(btcToSat(accept!.fees!.base), 5_000n);
    assert.equal(accept!.vsize, decoded.vsize);
    assert.equal(await rpc.sendRawTransaction(spend.hex, satToBtc(BTC / 10n)), spend.txid);
    assert.equal(await rpc.sendRawTransaction(spend.hex), spend.txid, 'sending it again is not an error');
    assert.deepEqual(await rpc.getRawMempool(), [spend.txid]);
    const verbose = await rpc.getRawMempoolVerbose();
    assert.deepEqual(Object.keys(verbose), [spend.txid]);
    const entry = await rpc.getMempoolEntry(spend.txid);
    assert.deepEqual(verbose[spend.txid], entry);
    assert.equal(entry.wtxid, decoded.hash);
    assert.equal(entry.vsize, decoded.vsize);
    const mempoolInfo = await rpc.getMempoolInfo();
    assert.equal(mempoolInfo.size, 1);
    assert.equal(btcToSat(mempoolInfo.total_fee), 5_000n);
    assert.equal(await rpc.getRawTransactionHex(spend.txid), spend.hex);
    assert.equal((await rpc.getRawTransaction(spend.txid)).blockhash, undefined);
    assert.equal((await rpc.getTxOut(spend.txid, 0))!.confirmations, 0);

    const fee = await rpc.estimateSmartFee(6);
    assert.deepEqual(fee, { feerate: 0.00001, blocks: 6 });
    assert.equal((await rpc.estimateSmartFee(1, 'conservative')).blocks, 2);

    const { hash } = await rpc.generateBlock(minerAddress, [spend.txid]);
    const withTxs = await rpc.getBlockWithTransactions(hash);
    assert.deepEqual(withTxs.tx.map((t) => t.txid), [withTxs.tx[0]!.txid, spend.txid]);
    assert.equal(btcToSat(withTxs.tx[1]!.fee!), 5_000n);
    assert.equal(withTxs.tx[1]!.hex, spend.hex);
    assert.equal(await rpc.getRawTransactionHex(spend.txid, hash), spend.hex);
    const mined = await rpc.getRawTransaction(spend.txid, hash);
    assert.equal(mined.confirmations, 1);
    assert.equal(mined.blocktime, withTxs.time);
    // Verbosity 3 and 2: each input's spent output, and the fee.
    const v3 = await rpc.call<{ tx: { vin: { prevout?: { value: number; generated: boolean; height: number } }[] }[] }>('getblock', [hash, 3]);
    assert.deepEqual(v3.tx[1]!.vin[0]!.prevout && { ...v3.tx[1]!.vin[0]!.prevout, scriptPubKey: undefined }, { generated: true, height: 1, value: 50, scriptPubKey: undefined });
    const v2 = await rpc.call<{ fee: number; vin: { prevout: { value: number } }[] }>('getrawtransaction', [spend.txid, 2]);
    assert.equal(btcToSat(v2.fee), 5_000n);
    assert.equal(v2.vin[0]!.prevout.value, 50);
    const unmined = await rpc.generateBlock(`raw(${hex(scriptOf(miner))})`, [], false);
    assert.match(unmined.hex!, /^[0-9a-f]+$/);
    assert.equal(await rpc.getBlockCount(), 102, 'submit=false does not connect the block');

    const out = await rpc.getTxOut(spend.txid, 0, false);
    assert.equal(btcToSat(out!.value), 50n * BTC - 5_000n);
    assert.equal(out!.coinbase, false);
    assert.equal((await rpc.getTxOut(coinbaseTxid, 0))!.coinbase, true);
    assert.equal(await rpc.getTxOut(spendCoinbase, 0), null, 'spent');

    const scan = await rpc.scanTxOutSet([`addr(${address(scriptOf(payee))})`, `raw(${hex(scriptOf(miner))})`]);
    assert.equal(scan.height, 102);
    assert.equal(scan.bestblock, hash);
    const payeeCoins = scan.unspents.filter((u) => u.txid === spend.txid);
    assert.equal(payeeCoins.length, 1);
    assert.match(payeeCoins[0]!.desc, /^addr\(bcrt1q[0-9a-z]+\)#[0-9a-z]{8}$/);
    assert.equal(payeeCoins[0]!.confirmations, 1);
    assert.equal(scan.unspents.length, 1 + 101, 'the payee coin and 101 unspent coinbases of the miner (block 1 spent, block 102 added)');

    assert.equal(await rpc.call<number>('getblockcount'), 102);
    const replies = await rpc.batch([{ method: 'getblockcount' }, { method: 'getblockhash', params: [0] }, { method: 'nosuchmethod' }]);
    assert.deepEqual(replies[0], { ok: true, result: 102 });
    assert.deepEqual(replies[1], { ok: true, result: info.bestblockhash });
    assert.equal(replies[2]!.ok, false);
    assert.equal(!replies[2]!.ok && replies[2]!.error.code, -32601);

    rpc.close();
    assert.equal(await rpc.getBlockCount(), 102, 'close() only drops idle connections');
  });

  it('refuses wrong or missing credentials with HTTP 401', async () => {
    const none = await rawRequest(chain.port, undefined, '{"method":"getblockcount"}');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="jsonrpc"');
    const wrong = await rawRequest(chain.port, '__cookie__:' + '0'.repeat(64), '{"method":"getblockcount"}');
    assert.equal(wrong.status, 401);
    const client = new BitcoindRpcClient({ url: chain.url, user: '__cookie__', password: 'nope' });
    await assert.rejects(client.getBlockCount(), (e: unknown) => {
      assert.ok(e instanceof BitcoindTransportError);
      assert.equal(e.status, 401);
      assert.match(e.message, /^bitcoind RPC getblockcount: HTTP 401: wrong RPC credentials/);
      return true;
    });
    client.close();
    // Credentials in the URL work too.
    const [user, password] = auth.split(':');
    const inUrl = new BitcoindRpcClient({ url: `http://${user}:${password}@127.0.0.1:${chain.port}` });
    assert.equal(await inUrl.getBlockCount(), 102);
    inUrl.close();
  });

  it('answers malformed requests with JSON-RPC errors and keeps serving', async () => {
    const post = (body: string | Buffer, options?: { method?: string; path?: string }) => rawRequest(chain.port, auth, body, options);
    const err = (r: RawReply) => (r.json as { error: { code: number; message: string } }).error;

    let r = await post('{"method": "getblockcount", ');
    assert.equal(r.status, 500);
    assert.deepEqual(err(r), { code: -32700, message: 'Parse error' });
    r = await post('"just a string"');
    assert.equal(err(r).code, -32700);
    r = await post('{"method": 42, "id": 1}');
    assert.equal(r.status, 400);
    assert.deepEqual(err(r), { code: -32600, message: 'Method must be a string' });
    r = await post('{"method": "getblockcount", "params": "x", "id": 1}');
    assert.equal(err(r).code, -32600);
    r = await post('{"method": "nosuchmethod", "id": 7}');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { result: null, error: { code: -32601, message: 'Method not found' }, id: 7 });
    // JSON-RPC 2.0: errors with status 200, and nothing at all for a notification.
    r = await post('{"jsonrpc": "2.0", "method": "nosuchmethod", "id": "a"}');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 'a' });
    r = await post('{"jsonrpc": "2.0", "method": "getblockcount"}');
    assert.equal(r.status, 204);
    assert.equal(r.body, '');
    r = await post('{"jsonrpc": "2.0", "method": "getblockhash", "params": {"height": 0}, "id": 1}');
    assert.deepEqual(r.json, { jsonrpc: '2.0', result: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206', id: 1 });
    r = await post('[{"method": "getblockcount", "id": 1}, {"method": "nosuchmethod", "id": 2}, 5]');
    assert.equal(r.status, 200);
    const batch = r.json as { result: unknown; error: { code: number } | null; id: unknown }[];
    assert.deepEqual(batch.map((b) => [b.id, b.result, b.error?.code ?? null]), [
      [1, 102, null],
      [2, null, -32601],
      [null, null, -32600],
    ]);
    r = await post('', { method: 'GET' });
    assert.equal(r.status, 405);
    r = await post('{"method":"getblockcount"}', { path: '/rest/chaininfo.json' });
    assert.equal(r.status, 404);
    // A body over the limit (16 MiB) gets HTTP 413 and a JSON-RPC error, not a crash.
    r = await post(Buffer.alloc(17 * 1024 * 1024, 0x20));
    assert.equal(r.status, 413);
    assert.equal(err(r).code, -32600);
    assert.match(err(r).message, /exceeds the limit of 16777216 bytes/);

    const genesis = '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206';
    await assertRpcError(rpc.call('getblockhash', ['1']), -3, /getblockhash: JSON value of type string for height is not of expected type number/);
    await assertRpcError(rpc.call('getblockhash', [-1]), -8, /^Block height out of range$/);
    await assertRpcError(rpc.call('getblockhash', [1000]), -8, /^Block height out of range$/);
    await assertRpcError(rpc.call('getblockhash', []), -1, /getblockhash: missing required parameter height/);
    await assertRpcError(rpc.call('getblockcount', [1]), -1, /getblockcount takes no parameters, got 1/);
    await assertRpcError(rpc.call('getblockhash', { hight: 1 }), -8, /unknown named parameter hight/);
    await assertRpcError(rpc.call('getblock', ['zz']), -8, /blockhash must be of length 64 \(not 2, for 'zz'\)/);
    await assertRpcError(rpc.call('getblock', ['zz'.repeat(32)]), -8, /blockhash must be hexadecimal string/);
    await assertRpcError(rpc.call('getblock', ['00'.repeat(32)]), -5, /^Block not found$/);
    await assertRpcError(rpc.call('getblock', [genesis, 7]), -8, /verbosity must be 0, 1, 2 or 3/);
    await assertRpcError(rpc.call('getrawtransaction', ['11'.repeat(32)]), -5, /^No such mempool or blockchain transaction/);
    await assertRpcError(rpc.call('getrawtransaction', ['4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b']), -5, /genesis block coinbase/);
    await assertRpcError(rpc.call('gettxout', ['11'.repeat(32), -1]), -8, /vout cannot be negative/);
    await assertRpcError(rpc.call('getmempoolentry', ['11'.repeat(32)]), -5, /^Transaction not in mempool$/);
    const spend = buildTx([{ txid: '22'.repeat(32), vout: 0, amountSat: BTC, spend: miner }], [{ script: scriptOf(payee), amountSat: BTC / 2n }]);
    for (const bad of ['zz', 'abc', '', spend.hex.slice(0, spend.hex.length / 2), spend.hex + '00', '00'.repeat(10_000)]) {
      await assertRpcError(rpc.sendRawTransaction(bad), -22, /^TX decode failed/);
      await assertRpcError(rpc.decodeRawTransaction(bad), -22, /^TX decode failed/);
    }
    await assertRpcError(rpc.call('sendrawtransaction', [42]), -3, /not of expected type string/);
    await assertRpcError(rpc.testMempoolAccept([]), -8, /between 1 and 25 transactions/);
    await assertRpcError(rpc.sendRawTransaction(spend.hex, 1.5), -8, /Fee rates larger than or equal to 1BTC\/kvB are not accepted/);
    await assertRpcError(rpc.sendRawTransaction(spend.hex, 'x' as unknown as number), -3, /Invalid amount/);
    await assertRpcError(rpc.generateToAddress(1, 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'), -5, /^Error: Invalid address/);
    await assertRpcError(rpc.generateToAddress(1, 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfX'), -5, /^Error: Invalid address/);
    await assertRpcError(rpc.generateBlock(minerAddress, ['33'.repeat(32)]), -5, /^Transaction 3{64} not in mempool\.$/);
    await assertRpcError(rpc.scanTxOutSet(['addr(notanaddress)']), -5, /scanobjects\[0\]: Address is not valid/);
    await assertRpcError(rpc.scanTxOutSet(['raw(deadbeef)#00000000']), -5, /Provided checksum '00000000' does not match computed checksum '89f8spxm'/);
    await assertRpcError(rpc.scanTxOutSet(['wpkh(xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8/*)']), -5, /not hex/);
    await assertRpcError(rpc.estimateSmartFee(0), -8, /Invalid conf_target, must be between 1 and 1008/);
    await assertRpcError(rpc.call('estimatesmartfee', [2, 'fast']), -8, /Invalid estimate_mode parameter/);
    await assertRpcError(rpc.call('scantxoutset', ['begin', []]), -8, /Invalid action 'begin'/);

    // Still serving, and still the same chain.
    assert.equal(await rpc.getBlockCount(), 102);
  });

  it('names the method and the cause when the server cannot be reached, does not answer, or the cookie is unreadable', async () => {
    const silent = createTcpServer((socket: Socket) => socket.on('data', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const slow = new BitcoindRpcClient({ url: `http://127.0.0.1:${silentPort}`, user: 'u', password: 'p', timeoutMs: 300 });
    await assert.rejects(slow.getBlockCount(), /^BitcoindTransportError: bitcoind RPC getblockcount: no reply from 127\.0\.0\.1:\d+ within 300 ms$/);
    slow.close();
    await new Promise<void>((resolve) => {
      silent.close(() => resolve());
      // The client destroyed its socket; nothing else holds the server open.
    });
    const refused = new BitcoindRpcClient({ url: `http://127.0.0.1:${silentPort}`, user: 'u', password: 'p' });
    await assert.rejects(refused.getBestBlockHash(), /bitcoind RPC getbestblockhash: cannot reach 127\.0\.0\.1:\d+: connection refused/);
    const noCookie = new BitcoindRpcClient({ url: chain.url, cookieFile: join(data.dir, 'missing.cookie') });
    await assert.rejects(noCookie.getBlockCount(), /bitcoind RPC getblockcount: cannot read cookie file .*missing\.cookie/);
    assert.throws(() => new BitcoindRpcClient({ url: 'https://127.0.0.1:1' }), /url must be http:\/\//);
  });

  it('re-reads the cookie after a restart on the same port, and stops on the stop RPC', async () => {
    const port = chain.port;
    const stopped = await rpc.stop();
    assert.equal(stopped, 'vigil chain stopping');
    assert.deepEqual(await chain.exited, { code: 0, signal: null });
    chain = await startChain(cli!, data.dir, { port });
    assert.notEqual(readFileSync(chain.cookiePath!, 'utf8'), auth, 'a new cookie');
    // The same client object: its cached cookie is refused once, then re-read.
    assert.equal(await rpc.getBlockCount(), 102);
  });
});

describe('vigil chain with --rpc-user/--rpc-password', { skip }, () => {
  const data = tempDataDir('userpass');
  let chain: SpawnedChain;
  before(async () => {
    chain = await startChain(cli!, data.dir, { rpcUser: 'alice', rpcPassword: 's3cret' });
  });
  after(async () => {
    await chain?.stop();
    data.remove();
  });

  it('writes no cookie, accepts those credentials and refuses others', async () => {
    assert.equal(chain.cookiePath, null);
    const rpc = chain.client();
    assert.equal(await rpc.getBlockCount(), 0);
    rpc.close();
    const wrong = new BitcoindRpcClient({ url: chain.url, user: 'alice', password: 'guess' });
    await assert.rejects(wrong.getBlockCount(), (e: unknown) => e instanceof BitcoindTransportError && e.status === 401);
    wrong.close();
  });
});
