// The node's connection to its signer: one gRPC channel over mutual TLS. Requests and responses
// are the plain objects of proto/signer.proto as loaded with LOADER_OPTIONS (snake_case fields,
// uint64 as decimal strings, bytes as Buffer). A refusal surfaces as SignerRefusal, whose message
// starts with the rule id or the field the signer named.
import * as grpc from '@grpc/grpc-js';
import { signerServiceConstructor } from '../../proto/signer-definition.js';

export interface SignerClientOptions {
  /** host:port of `vigil signer run`. */
  readonly address: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Per-call deadline; default 30 s (a device confirmation can take a person's time). */
  readonly deadlineMs?: number;
}

export class SignerRefusal extends Error {
  override readonly name = 'SignerRefusal';
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${method}: ${details}`);
  }
  /** The policy rule id the signer named, when the refusal came from policy. */
  get ruleId(): string | undefined {
    return /^(policy-[a-z0-9-]+)/.exec(this.details)?.[1];
  }
}

type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: object) => void) => void;

export class SignerClient {
  readonly #client: grpc.Client;
  readonly #deadlineMs: number;

  constructor(options: SignerClientOptions) {
    const Ctor = signerServiceConstructor();
    const credentials = grpc.credentials.createSsl(Buffer.from(options.caPem), Buffer.from(options.keyPem), Buffer.from(options.certPem));
    // The signer's certificate names both 127.0.0.1 and localhost; TLS server names must not be IP
    // addresses (RFC 6066), so verify against the name.
    this.#client = new Ctor(options.address, credentials, {
      'grpc.ssl_target_name_override': 'localhost',
      'grpc.default_authority': 'localhost',
      // A restarted signer is found again within a second or two (gRPC's defaults back off to 2 minutes).
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
    });
    this.#deadlineMs = options.deadlineMs ?? 30_000;
  }

  /** Calls one unary rpc by its proto name, e.g. call('GetNodeInfo', {}). */
  call<T extends object = Record<string, unknown>>(method: string, request: object): Promise<T> {
    const fn = (this.#client as unknown as Record<string, UnaryMethod | undefined>)[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`signer: no rpc named ${method}`));
    return new Promise<T>((resolve, reject) => {
      fn.call(this.#client, request, new grpc.Metadata(), { deadline: Date.now() + this.#deadlineMs }, (err, response) => {
        if (err) reject(new SignerRefusal(method, err.code, err.details || err.message));
        else resolve(response as T);
      });
    });
  }

  /**
   * Like `call`, but a signer that cannot be reached (UNAVAILABLE: restarting, crashed, network) is
   * waited for: the call is repeated, with a growing pause, until it answers or `stopped()` says to
   * give up. Only for requests the signer treats as idempotent (a repeated channel request gets the
   * same answer: signer/service/README.md); a refusal is returned at once.
   */
  async callPatiently<T extends object = Record<string, unknown>>(method: string, request: object, stopped: () => boolean): Promise<T> {
    let pauseMs = 25;
    for (;;) {
      try {
        return await this.call<T>(method, request);
      } catch (e) {
        if (!(e instanceof SignerRefusal) || e.code !== grpc.status.UNAVAILABLE || stopped()) throw e;
      }
      await new Promise<void>((resolve) => setTimeout(resolve, pauseMs).unref());
      pauseMs = Math.min(pauseMs * 2, 1000);
    }
  }

  close(): void {
    this.#client.close();
  }
}
