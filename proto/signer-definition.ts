// Where the signer contract lives and how both sides load it. The .proto file is the contract;
// this module only finds it and fixes the loader options so node and signer agree on shapes:
// snake_case fields, uint64 as decimal strings, bytes as Buffer, enums as their names.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

/** Finds proto/signer.proto above this module, from the source tree or from dist/. */
export function signerProtoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'proto', 'signer.proto');
    if (existsSync(candidate)) return candidate;
    const sibling = join(dir, 'signer.proto');
    if (existsSync(sibling)) return sibling;
    dir = dirname(dir);
  }
  throw new Error('proto/signer.proto not found above ' + fileURLToPath(import.meta.url));
}

let cached: grpc.ServiceClientConstructor | undefined;

/** The generic client constructor of vigil.signer.v1.Signer; its `.service` is the server definition. */
export function signerServiceConstructor(): grpc.ServiceClientConstructor {
  if (!cached) {
    const definition = protoLoader.loadSync(signerProtoPath(), LOADER_OPTIONS);
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      vigil: { signer: { v1: { Signer: grpc.ServiceClientConstructor } } };
    };
    cached = pkg.vigil.signer.v1.Signer;
  }
  return cached;
}

/** The unary rpc names of the signer service, in proto order (the stream `Connect` excluded). */
export function signerUnaryMethods(): string[] {
  const service = signerServiceConstructor().service;
  return Object.entries(service)
    .filter(([, m]) => !m.requestStream && !m.responseStream)
    .map(([name]) => name);
}
