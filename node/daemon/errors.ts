// The errors an API call can end in, each with the gRPC status it is answered with. Messages name
// what was wrong: the field first for INVALID_ARGUMENT, the rule id for a policy refusal.
import { status } from '@grpc/grpc-js';

export type ApiStatus =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'UNIMPLEMENTED'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiStatus,
    message: string,
  ) {
    super(message);
  }

  get grpcStatus(): status {
    return status[this.code];
  }
}

/** A request field that is missing or malformed: the message starts with the field name. */
export function invalidArgument(field: string, problem: string): ApiError {
  return new ApiError('INVALID_ARGUMENT', `${field}: ${problem}`);
}

/** The daemon could not start: the message says which dependency and why. */
export class DaemonStartError extends Error {
  override readonly name = 'DaemonStartError';
}
