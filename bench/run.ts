// `npm run bench`: runs every module in bench/sections/ and prints one JSON object as the last line,
// keyed by section name. `npm run bench -- crypto` runs only the named sections.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const sectionsDir = join(dirname(fileURLToPath(import.meta.url)), 'sections');
const wanted = process.argv.slice(2);
const names = readdirSync(sectionsDir)
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.slice(0, -3))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

const results: Record<string, unknown> = {};
for (const name of names) {
  const mod = (await import(pathToFileURL(join(sectionsDir, `${name}.js`)).href)) as { run(): Promise<unknown> };
  process.stderr.write(`bench: ${name}...\n`);
  results[name] = await mod.run();
}
process.stdout.write(JSON.stringify(results) + '\n');
