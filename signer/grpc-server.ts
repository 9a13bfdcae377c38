// The signer's gRPC face: every unary rpc of proto/signer.proto, served over mutual TLS,
// handed to the in-process SignerService. Clients without a certificate from our CA are
// refused by TLS before any rpc runs.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { signerServiceConstructor, signerUnaryMethods } from '../proto/signer-definition.js';
import { SignerError } from './errors.js';

/** What the server needs from the service: one entry point per rpc name. */
export interface SignerCallTarget {
  call(method: string, request: object): Promise<object>;
}

export interface SignerServerOptions {
  readonly service: SignerCallTarget;
  readonly tls: { readonly caPem: string; readonly certPem: string; readonly keyPem: string };
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
}

export interface RunningSignerServer {
  readonly port: number;
  close(): Promise<void>;
}

const STATUS: Record<SignerError['code'], grpc.status> = {
  'invalid-argument': grpc.status.INVALID_ARGUMENT,
  'failed-precondition': grpc.status.FAILED_PRECONDITION,
  'not-found': grpc.status.NOT_FOUND,
  internal: grpc.status.INTERNAL,
};

function toServiceError(method: string, err: unknown, log: Logger): Partial<grpc.ServiceError> {
  if (err instanceof SignerError) return { code: STATUS[err.code], details: err.message, message: err.message };
  // Anything else is our bug: log it (messages carry no secrets) and answer without internals.
  log.error({ method, err: err instanceof Error ? err.message : String(err) }, 'signer request failed unexpectedly');
  return { code: grpc.status.INTERNAL, details: `${method}: internal error`, message: `${method}: internal error` };
}

export async function startSignerServer(options: SignerServerOptions): Promise<RunningSignerServer> {
  const { service, log } = options;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of signerUnaryMethods()) {
    handlers[method] = (call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => {
      service.call(method, call.request).then(
        (response) => callback(null, response),
        (err: unknown) => callback(toServiceError(method, err, log)),
      );
    };
  }
  handlers['Connect'] = (stream: grpc.ServerDuplexStream<object, object>) => {
    stream.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'Connect: the signer-dialled stream is not served yet' });
  };
  server.addService(signerServiceConstructor().service, handlers);
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(options.tls.caPem),
    [{ cert_chain: Buffer.from(options.tls.certPem), private_key: Buffer.from(options.tls.keyPem) }],
    true, // require and verify a client certificate issued by our CA
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
