// A child process for the kill -9 test (test/signer-persistence.test.ts): Alice's and Bob's signers
// on the data directories given as arguments, an open channel, then payments and commitment rounds
// until the parent kills it. It prints one line per completed round. Run without arguments (as a test
// runner does with every file under test/), it does nothing.
import { MemoryDevice } from './memory-device.js';
import { openChannel, openSigner } from './signer-pair.js';

async function main(aliceDir: string, bobDir: string): Promise<void> {
  const signers = { alice: await openSigner(aliceDir, MemoryDevice.fromByte(61)), bob: await openSigner(bobDir, MemoryDevice.fromByte(62)) };
  const pair = await openChannel(signers, 'static_remotekey');
  process.stdout.write('open\n');
  for (let i = 0; ; i++) {
    const h = await pair.pay('alice', 1_000_000n, i);
    await pair.round('bob');
    process.stdout.write(`round ${2 * i}\n`);
    await pair.round('alice');
    pair.fulfill(h);
    await pair.update();
    process.stdout.write(`round ${2 * i + 1}\n`);
  }
}

const [aliceDir, bobDir] = process.argv.slice(2);
if (aliceDir !== undefined && bobDir !== undefined) {
  main(aliceDir, bobDir).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
