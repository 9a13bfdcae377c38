// `--screen console`: the screen is the terminal. The text is written to `output` (stderr, so stdout
// stays machine-readable) and a line "y" or "n" on `input` presses approve or reject.
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Confirmation, Screen } from './screen.js';

export interface ConsoleButtons {
  close(): void;
}

export function attachConsoleButtons(screen: Screen, input: Readable, output: Writable): ConsoleButtons {
  const prompt = (c: Confirmation): void => {
    const body = c.text
      .split('\n')
      .map((line) => `  | ${line}`)
      .join('\n');
    output.write(`\n[screen] confirmation ${c.id}:\n${body}\n[screen] approve? (y/n) `);
  };
  const onShow = (c: Confirmation): void => prompt(c);
  screen.on('show', onShow);
  const current = screen.current;
  if (current) prompt(current);

  const lines: Interface = createInterface({ input, terminal: false });
  lines.on('line', (line) => {
    const shown = screen.current;
    if (!shown) return;
    const answer = line.trim().toLowerCase();
    if (answer === 'y' || answer === 'yes') screen.press('approved', shown.id);
    else if (answer === 'n' || answer === 'no') screen.press('denied', shown.id);
    else output.write(`[screen] answer y or n: `);
  });
  let closing = false;
  lines.on('close', () => {
    if (!closing) output.write('[screen] console input closed: confirmations wait for the automation endpoint, if any\n');
  });
  return {
    close() {
      closing = true;
      screen.off('show', onShow);
      lines.close();
    },
  };
}
