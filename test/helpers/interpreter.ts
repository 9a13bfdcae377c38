// An independent check of our transactions: run every input through bitcore-lib's script
// interpreter (a port of Bitcoin Core's, written by others) against the output it spends,
// with the standard-policy verification flags on. If our serializer, sighash or scripts were
// wrong in a way our own tests share, this is where it shows.
import { createRequire } from 'node:module';

/** The slice of bitcore-lib's API this helper uses. */
interface BitcoreScript {
  toBuffer(): Buffer;
}
interface BitcoreInput {
  script: BitcoreScript;
  getWitnesses(): Buffer[] | null;
}
interface BitcoreTransaction {
  inputs: BitcoreInput[];
}
interface BitcoreInterpreter {
  errstr: string;
  verify(
    scriptSig: BitcoreScript,
    scriptPubkey: BitcoreScript,
    tx: BitcoreTransaction,
    nin: number,
    flags: number,
    witness: Buffer[],
    satoshis: number,
  ): boolean;
}
interface BitcoreInterpreterClass {
  new (): BitcoreInterpreter;
  readonly [flag: `SCRIPT_${string}`]: number;
}
interface Bitcore {
  Transaction: new (serialized: Buffer) => BitcoreTransaction;
  Script: { new (serialized: Buffer): BitcoreScript; Interpreter: BitcoreInterpreterClass };
}

const bitcore = createRequire(import.meta.url)('bitcore-lib') as Bitcore;
const Interpreter = bitcore.Script.Interpreter;

function flag(name: `SCRIPT_${string}`): number {
  const value = Interpreter[name];
  if (typeof value !== 'number') throw new Error(`bitcore-lib has no interpreter flag ${name}`);
  return value;
}

/**
 * Bitcoin Core's STANDARD_SCRIPT_VERIFY_FLAGS, as far as bitcore-lib implements them.
 * Left out: CLEANSTACK, because bitcore-lib checks it on the scriptSig stack instead of the final
 * one and so rejects every plain P2PKH spend (the witness path still demands a one-item final
 * stack, as consensus does).
 * Known gap: with LOW_S on, bitcore-lib skips STRICTENC's defined-sighash-type check; an undefined
 * sighash byte is still caught, as a signature over another digest (SCRIPT_ERR_NULLFAIL).
 */
export const STANDARD_FLAGS =
  flag('SCRIPT_VERIFY_P2SH') |
  flag('SCRIPT_VERIFY_STRICTENC') |
  flag('SCRIPT_VERIFY_DERSIG') |
  flag('SCRIPT_VERIFY_LOW_S') |
  flag('SCRIPT_VERIFY_NULLDUMMY') |
  flag('SCRIPT_VERIFY_MINIMALDATA') |
  flag('SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS') |
  flag('SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY') |
  flag('SCRIPT_VERIFY_CHECKSEQUENCEVERIFY') |
  flag('SCRIPT_VERIFY_WITNESS') |
  flag('SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM') |
  flag('SCRIPT_VERIFY_MINIMALIF') |
  flag('SCRIPT_VERIFY_NULLFAIL') |
  flag('SCRIPT_VERIFY_WITNESS_PUBKEYTYPE') |
  flag('SCRIPT_VERIFY_CONST_SCRIPTCODE') |
  flag('SCRIPT_VERIFY_TAPROOT');

/** The output an input spends. */
export interface SpentOutput {
  readonly scriptPubKeyHex: string;
  readonly amountSat: number | bigint;
}

export class InterpreterRejection extends Error {
  override readonly name = 'InterpreterRejection';
  constructor(
    readonly inputIndex: number,
    readonly scriptError: string,
    detail: string,
  ) {
    super(`input ${inputIndex}: ${scriptError} (${detail})`);
  }
}

/**
 * Verify every input of a fully signed transaction against the output it spends
 * (`spent[i]` for input i). Throws an InterpreterRejection naming the input and the
 * interpreter's error (e.g. SCRIPT_ERR_SIG_NULLFAIL) on the first failure.
 */
export function assertInputsValid(txHex: string, spent: readonly SpentOutput[], flags: number = STANDARD_FLAGS): void {
  const tx = new bitcore.Transaction(Buffer.from(txHex, 'hex'));
  if (tx.inputs.length !== spent.length) {
    throw new Error(`transaction has ${tx.inputs.length} inputs but ${spent.length} spent outputs were given`);
  }
  tx.inputs.forEach((input, i) => {
    const prev = spent[i]!;
    const amount = Number(prev.amountSat);
    if (!Number.isSafeInteger(amount) || amount < 0) throw new Error(`input ${i}: spent amount ${prev.amountSat} is not a satoshi count`);
    const interpreter = new Interpreter();
    const scriptPubKey = new bitcore.Script(Buffer.from(prev.scriptPubKeyHex, 'hex'));
    let ok: boolean;
    try {
      // bitcore-lib wants the spent amount as a plain number of satoshis (it makes the BN itself).
      ok = interpreter.verify(input.script, scriptPubKey, tx, i, flags, input.getWitnesses() ?? [], amount);
    } catch (e) {
      throw new InterpreterRejection(i, 'EXCEPTION', (e as Error).message ?? String(e));
    }
    if (!ok) throw new InterpreterRejection(i, interpreter.errstr || 'SCRIPT_ERR_UNKNOWN', `spending ${prev.scriptPubKeyHex.slice(0, 16)}… worth ${amount} sat`);
  });
}
