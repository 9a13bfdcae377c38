// Runs every input's scripts through bitcore-lib's Interpreter (a JavaScript port of Bitcoin
// Core's script interpreter, written by others): the embedded chain accepts a transaction only if
// an implementation other than ours agrees its scripts are valid.
// Flags and messages follow Bitcoin Core: src/script/interpreter.h (SCRIPT_VERIFY_*),
// src/policy/policy.h (MANDATORY_ / STANDARD_SCRIPT_VERIFY_FLAGS), src/script/script_error.cpp.
import { createRequire } from 'node:module';

/** The slice of bitcore-lib's API used here. */
interface BitcoreScript {
  toBuffer(): Buffer;
}
interface BitcoreOutput {
  readonly satoshis: number;
}
interface BitcoreInput {
  readonly script: BitcoreScript | null;
  output?: BitcoreOutput;
  getWitnesses(): Buffer[] | null;
}
interface BitcoreTransaction {
  readonly inputs: BitcoreInput[];
}
interface BitcoreInterpreter {
  errstr: string;
  verify(scriptSig: BitcoreScript, scriptPubkey: BitcoreScript, tx: BitcoreTransaction, nin: number, flags: number, witness: Buffer[], satoshis: number): boolean;
}
interface Bitcore {
  Transaction: { new (serialized: Buffer): BitcoreTransaction; Output: new (args: { satoshis: number; script: Buffer }) => BitcoreOutput };
  Script: { new (serialized?: Buffer): BitcoreScript; Interpreter: { new (): BitcoreInterpreter; readonly [flag: `SCRIPT_${string}`]: number } };
}

const bitcore = createRequire(import.meta.url)('bitcore-lib') as Bitcore;
const Interpreter = bitcore.Script.Interpreter;

function bit(name: string): number {
  const value = Interpreter[`SCRIPT_VERIFY_${name}`];
  if (typeof value !== 'number') throw new Error(`bitcore-lib has no interpreter flag SCRIPT_VERIFY_${name}`);
  return value;
}

/** Bitcoin Core's script verification flags, with bitcore-lib's bit values. */
export const SCRIPT_VERIFY = {
  P2SH: bit('P2SH'),
  STRICTENC: bit('STRICTENC'),
  DERSIG: bit('DERSIG'),
  LOW_S: bit('LOW_S'),
  NULLDUMMY: bit('NULLDUMMY'),
  MINIMALDATA: bit('MINIMALDATA'),
  DISCOURAGE_UPGRADABLE_NOPS: bit('DISCOURAGE_UPGRADABLE_NOPS'),
  CHECKLOCKTIMEVERIFY: bit('CHECKLOCKTIMEVERIFY'),
  CHECKSEQUENCEVERIFY: bit('CHECKSEQUENCEVERIFY'),
  WITNESS: bit('WITNESS'),
  DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM: bit('DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM'),
  MINIMALIF: bit('MINIMALIF'),
  NULLFAIL: bit('NULLFAIL'),
  WITNESS_PUBKEYTYPE: bit('WITNESS_PUBKEYTYPE'),
  CONST_SCRIPTCODE: bit('CONST_SCRIPTCODE'),
  TAPROOT: bit('TAPROOT'),
  DISCOURAGE_UPGRADABLE_TAPROOT_VERSION: bit('DISCOURAGE_UPGRADABLE_TAPROOT_VERSION'),
  DISCOURAGE_OP_SUCCESS: bit('DISCOURAGE_OP_SUCCESS'),
  DISCOURAGE_UPGRADABLE_PUBKEYTYPE: bit('DISCOURAGE_UPGRADABLE_PUBKEYTYPE'),
} as const;

const F = SCRIPT_VERIFY;

/**
 * Consensus rules in force at every regtest height (policy.h MANDATORY_SCRIPT_VERIFY_FLAGS plus
 * the soft forks buried on regtest): a block with an input failing these is invalid.
 */
export const CONSENSUS_FLAGS = F.P2SH | F.DERSIG | F.NULLDUMMY | F.CHECKLOCKTIMEVERIFY | F.CHECKSEQUENCEVERIFY | F.WITNESS | F.TAPROOT;

/**
 * STANDARD_SCRIPT_VERIFY_FLAGS as far as bitcore-lib implements them: what the mempool demands.
 * Left out: CLEANSTACK, which bitcore-lib checks on the scriptSig's stack rather than the final
 * one and so fails every plain P2PKH spend (witness programs still need a one-item final stack,
 * a consensus rule).
 */
export const STANDARD_FLAGS =
  CONSENSUS_FLAGS |
  F.STRICTENC |
  F.LOW_S |
  F.MINIMALDATA |
  F.DISCOURAGE_UPGRADABLE_NOPS |
  F.DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM |
  F.MINIMALIF |
  F.NULLFAIL |
  F.WITNESS_PUBKEYTYPE |
  F.CONST_SCRIPTCODE |
  F.DISCOURAGE_UPGRADABLE_TAPROOT_VERSION |
  F.DISCOURAGE_OP_SUCCESS |
  F.DISCOURAGE_UPGRADABLE_PUBKEYTYPE;

/** ScriptErrorString (script_error.cpp), keyed by Core's SCRIPT_ERR_* names. */
const CORE_MESSAGES: Record<string, string> = {
  SCRIPT_ERR_OK: 'No error',
  SCRIPT_ERR_EVAL_FALSE: 'Script evaluated without error but finished with a false/empty top stack element',
  SCRIPT_ERR_VERIFY: 'Script failed an OP_VERIFY operation',
  SCRIPT_ERR_EQUALVERIFY: 'Script failed an OP_EQUALVERIFY operation',
  SCRIPT_ERR_CHECKMULTISIGVERIFY: 'Script failed an OP_CHECKMULTISIGVERIFY operation',
  SCRIPT_ERR_CHECKSIGVERIFY: 'Script failed an OP_CHECKSIGVERIFY operation',
  SCRIPT_ERR_NUMEQUALVERIFY: 'Script failed an OP_NUMEQUALVERIFY operation',
  SCRIPT_ERR_SCRIPT_SIZE: 'Script is too big',
  SCRIPT_ERR_PUSH_SIZE: 'Push value size limit exceeded',
  SCRIPT_ERR_OP_COUNT: 'Operation limit exceeded',
  SCRIPT_ERR_STACK_SIZE: 'Stack size limit exceeded',
  SCRIPT_ERR_SIG_COUNT: 'Signature count negative or greater than pubkey count',
  SCRIPT_ERR_PUBKEY_COUNT: 'Pubkey count negative or limit exceeded',
  SCRIPT_ERR_BAD_OPCODE: 'Opcode missing or not understood',
  SCRIPT_ERR_DISABLED_OPCODE: 'Attempted to use a disabled opcode',
  SCRIPT_ERR_INVALID_STACK_OPERATION: 'Operation not valid with the current stack size',
  SCRIPT_ERR_INVALID_ALTSTACK_OPERATION: 'Operation not valid with the current altstack size',
  SCRIPT_ERR_OP_RETURN: 'OP_RETURN was encountered',
  SCRIPT_ERR_UNBALANCED_CONDITIONAL: 'Invalid OP_IF construction',
  SCRIPT_ERR_NEGATIVE_LOCKTIME: 'Negative locktime',
  SCRIPT_ERR_UNSATISFIED_LOCKTIME: 'Locktime requirement not satisfied',
  SCRIPT_ERR_SIG_HASHTYPE: 'Signature hash type missing or not understood',
  SCRIPT_ERR_SIG_DER: 'Non-canonical DER signature',
  SCRIPT_ERR_MINIMALDATA: 'Data push larger than necessary',
  SCRIPT_ERR_SIG_PUSHONLY: 'Only push operators allowed in signatures',
  SCRIPT_ERR_SIG_HIGH_S: 'Non-canonical signature: S value is unnecessarily high',
  SCRIPT_ERR_SIG_NULLDUMMY: 'Dummy CHECKMULTISIG argument must be zero',
  SCRIPT_ERR_MINIMALIF: 'OP_IF/NOTIF argument must be minimal',
  SCRIPT_ERR_SIG_NULLFAIL: 'Signature must be zero for failed CHECK(MULTI)SIG operation',
  SCRIPT_ERR_DISCOURAGE_UPGRADABLE_NOPS: 'NOPx reserved for soft-fork upgrades',
  SCRIPT_ERR_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM: 'Witness version reserved for soft-fork upgrades',
  SCRIPT_ERR_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION: 'Taproot version reserved for soft-fork upgrades',
  SCRIPT_ERR_DISCOURAGE_OP_SUCCESS: 'OP_SUCCESSx reserved for soft-fork upgrades',
  SCRIPT_ERR_DISCOURAGE_UPGRADABLE_PUBKEYTYPE: 'Public key version reserved for soft-fork upgrades',
  SCRIPT_ERR_PUBKEYTYPE: 'Public key is neither compressed or uncompressed',
  SCRIPT_ERR_CLEANSTACK: 'Stack size must be exactly one after execution',
  SCRIPT_ERR_WITNESS_PROGRAM_WRONG_LENGTH: 'Witness program has incorrect length',
  SCRIPT_ERR_WITNESS_PROGRAM_WITNESS_EMPTY: 'Witness program was passed an empty witness',
  SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH: 'Witness program hash mismatch',
  SCRIPT_ERR_WITNESS_MALLEATED: 'Witness requires empty scriptSig',
  SCRIPT_ERR_WITNESS_MALLEATED_P2SH: 'Witness requires only-redeemscript scriptSig',
  SCRIPT_ERR_WITNESS_UNEXPECTED: 'Witness provided for non-witness script',
  SCRIPT_ERR_WITNESS_PUBKEYTYPE: 'Using non-compressed keys in segwit',
  SCRIPT_ERR_SCHNORR_SIG_SIZE: 'Invalid Schnorr signature size',
  SCRIPT_ERR_SCHNORR_SIG_HASHTYPE: 'Invalid Schnorr signature hash type',
  SCRIPT_ERR_SCHNORR_SIG: 'Invalid Schnorr signature',
  SCRIPT_ERR_TAPROOT_WRONG_CONTROL_SIZE: 'Invalid Taproot control block size',
  SCRIPT_ERR_TAPSCRIPT_VALIDATION_WEIGHT: 'Too much signature validation relative to witness weight',
  SCRIPT_ERR_TAPSCRIPT_CHECKMULTISIG: 'OP_CHECKMULTISIG(VERIFY) is not available in tapscript',
  SCRIPT_ERR_TAPSCRIPT_MINIMALIF: 'OP_IF/NOTIF argument must be minimal in tapscript',
  SCRIPT_ERR_OP_CODESEPARATOR: 'Using OP_CODESEPARATOR in non-witness script',
  SCRIPT_ERR_SIG_FINDANDDELETE: 'Signature is found in scriptCode',
  SCRIPT_ERR_UNKNOWN_ERROR: 'unknown error',
};

/** bitcore-lib's error names that differ from Core's. */
const BITCORE_TO_CORE: Record<string, string> = {
  SCRIPT_ERR_EVAL_FALSE_IN_STACK: 'SCRIPT_ERR_EVAL_FALSE',
  SCRIPT_ERR_EVAL_FALSE_NO_RESULT: 'SCRIPT_ERR_EVAL_FALSE',
  SCRIPT_ERR_EVAL_FALSE_IN_P2SH_STACK: 'SCRIPT_ERR_EVAL_FALSE',
  SCRIPT_ERR_EVAL_FALSE_NO_P2SH_STACK: 'SCRIPT_ERR_EVAL_FALSE',
  SCRIPT_ERR_SIG_DER_INVALID_FORMAT: 'SCRIPT_ERR_SIG_DER',
  SCRIPT_ERR_SIG_DER_HIGH_S: 'SCRIPT_ERR_SIG_HIGH_S',
  SCRIPT_ERR_NULLFAIL: 'SCRIPT_ERR_SIG_NULLFAIL',
};

/** Core's name for an interpreter error (SCRIPT_ERR_*). */
export function coreScriptError(bitcoreError: string): string {
  const name = BITCORE_TO_CORE[bitcoreError] ?? bitcoreError;
  return name in CORE_MESSAGES ? name : 'SCRIPT_ERR_UNKNOWN_ERROR';
}

/** Core's ScriptErrorString for a SCRIPT_ERR_* name (either implementation's spelling). */
export function scriptErrorMessage(error: string): string {
  return CORE_MESSAGES[coreScriptError(error)]!;
}

/** The output an input spends. */
export interface SpentOutput {
  readonly script: Uint8Array;
  readonly amountSat: bigint;
}

export interface ScriptFailure {
  readonly inputIndex: number;
  /** Core's SCRIPT_ERR_* name. */
  readonly error: string;
  /** Core's text for it, e.g. "Signature must be zero for failed CHECK(MULTI)SIG operation". */
  readonly message: string;
  /** What bitcore-lib said, when it differs or threw. */
  readonly detail: string;
}

export class ScriptValidationError extends Error {
  override readonly name = 'ScriptValidationError';
  constructor(readonly failure: ScriptFailure) {
    super(`input ${failure.inputIndex}: ${failure.error} (${failure.message})${failure.detail ? `: ${failure.detail}` : ''}`);
  }
}

const buffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** A parsed transaction with its spent outputs attached, ready to check under several flag sets. */
export class ScriptCheck {
  private readonly tx: BitcoreTransaction;

  constructor(
    rawTx: Uint8Array,
    private readonly spent: readonly SpentOutput[],
  ) {
    this.tx = new bitcore.Transaction(buffer(rawTx));
    if (this.tx.inputs.length !== spent.length) {
      throw new Error(`script check: transaction has ${this.tx.inputs.length} inputs but ${spent.length} spent outputs were given`);
    }
    spent.forEach((s, i) => {
      const amount = Number(s.amountSat);
      if (!Number.isSafeInteger(amount) || amount < 0) throw new Error(`script check: input ${i} spends ${s.amountSat} sat, not a satoshi count`);
      // BIP 341 signature hashes commit to every spent output, so each input carries its own.
      this.tx.inputs[i]!.output = new bitcore.Transaction.Output({ satoshis: amount, script: buffer(s.script) });
    });
  }

  /** The first input failing under `flags`, or undefined when all pass. */
  firstFailure(flags: number): ScriptFailure | undefined {
    for (let i = 0; i < this.spent.length; i++) {
      const failure = this.checkInput(i, flags);
      if (failure) return failure;
    }
    return undefined;
  }

  checkInput(i: number, flags: number): ScriptFailure | undefined {
    const input = this.tx.inputs[i]!;
    const prev = this.spent[i]!;
    const interpreter = new Interpreter();
    let ok: boolean;
    try {
      const scriptSig = input.script ?? new bitcore.Script();
      // A copy of the witness stack: bitcore-lib runs a P2WPKH program on the array it is given and
      // would leave the input's witness changed for the next check.
      const witness = [...(input.getWitnesses() ?? [])];
      ok = interpreter.verify(scriptSig, new bitcore.Script(buffer(prev.script)), this.tx, i, flags, witness, Number(prev.amountSat));
    } catch (e) {
      // bitcore-lib throws where Core would fail with an error: unparseable scripts, bad encodings.
      const what = e instanceof Error ? e.message : String(e);
      const error = /script/i.test(what) && /buffer|parse/i.test(what) ? 'SCRIPT_ERR_BAD_OPCODE' : 'SCRIPT_ERR_UNKNOWN_ERROR';
      return { inputIndex: i, error, message: scriptErrorMessage(error), detail: `bitcore-lib threw: ${what}` };
    }
    if (ok) return undefined;
    // bitcore-lib fails a taproot key-path signature without naming the error; Core calls it SCHNORR_SIG.
    const taproot = prev.script.length === 34 && prev.script[0] === 0x51 && prev.script[1] === 0x20;
    const raw = interpreter.errstr || (taproot ? 'SCRIPT_ERR_SCHNORR_SIG' : 'SCRIPT_ERR_UNKNOWN_ERROR');
    const error = coreScriptError(raw);
    return { inputIndex: i, error, message: scriptErrorMessage(error), detail: raw === error ? '' : raw };
  }
}

/**
 * Verify every input of a signed transaction against the output it spends (`spent[i]` for
 * input i); returns the first failure, or undefined when every input is valid under `flags`.
 */
export function verifyInputScripts(rawTx: Uint8Array, spent: readonly SpentOutput[], flags: number = STANDARD_FLAGS): ScriptFailure | undefined {
  return new ScriptCheck(rawTx, spent).firstFailure(flags);
}

/** As verifyInputScripts, throwing a ScriptValidationError on the first failing input. */
export function assertInputScripts(rawTx: Uint8Array, spent: readonly SpentOutput[], flags: number = STANDARD_FLAGS): void {
  const failure = verifyInputScripts(rawTx, spent, flags);
  if (failure) throw new ScriptValidationError(failure);
}
