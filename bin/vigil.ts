#!/usr/bin/env node
// The `vigil` command: each subcommand is one module in cli/commands/, found by name,
// so adding a command never touches this file.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from '../cli/command.js';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<Command> {
  const mod = (await import(pathToFileURL(join(commandsDir, `${name}.js`)).href)) as { command: Command };
  return mod.command;
}

async function help(): Promise<void> {
  const lines = ['usage: vigil <command> [args...]', '', 'commands:'];
  for (const name of commandNames()) {
    const cmd = await load(name);
    lines.push(`  ${name.padEnd(14)} ${cmd.summary}`);
  }
  lines.push('', 'vigil <command> --help shows the usage of one command.');
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    await help();
    return 0;
  }
  if (!commandNames().includes(name)) {
    process.stderr.write(`vigil: unknown command "${name}" (vigil help lists them)\n`);
    return 2;
  }
  const cmd = await load(name);
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(`usage: vigil ${name} ${cmd.usage}\n${cmd.summary}\n`);
    return 0;
  }
  return cmd.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
