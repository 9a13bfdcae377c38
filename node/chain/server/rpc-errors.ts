// JSON-RPC error codes as bitcoind uses them (src/rpc/protocol.h).

export const RPC_ERROR = {
  /** Standard JSON-RPC 2.0 errors. */
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  PARSE_ERROR: -32700,
  /** std::exception thrown in command handling; also bitcoind's "wrong number of parameters". */
  MISC_ERROR: -1,
  /** Unexpected type was passed as parameter. */
  TYPE_ERROR: -3,
  /** Invalid address or key; also "not found" for blocks and transactions. */
  INVALID_ADDRESS_OR_KEY: -5,
  /** Invalid, missing or duplicate parameter. */
  INVALID_PARAMETER: -8,
  /** Error parsing or validating structure in raw format. */
  DESERIALIZATION_ERROR: -22,
  /** General error during transaction or block submission (RPC_TRANSACTION_ERROR). */
  VERIFY_ERROR: -25,
  /** Transaction or block was rejected by network rules (RPC_TRANSACTION_REJECTED). */
  VERIFY_REJECTED: -26,
  /** Transaction already in chain (RPC_TRANSACTION_ALREADY_IN_CHAIN). */
  VERIFY_ALREADY_IN_CHAIN: -27,
} as const;

export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
