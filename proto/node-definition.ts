// Where the node's user API contract lives and how server and clients load it. The .proto file is
// the contract; this module only finds it and loads it with the same options as the signer's
// (snake_case fields, uint64 as decimal strings, enums as names, defaults filled in).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS } from './signer-definition.js';

/** The metadata key that carries the API token (the content of `<node data dir>/api.token`). */
export const TOKEN_METADATA_KEY = 'x-vigil-token';

/** Finds proto/node.proto above this module, from the source tree or from dist/. */
export function nodeProtoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'proto', 'node.proto');
    if (existsSync(candidate)) return candidate;
    const sibling = join(dir, 'node.proto');
    if (existsSync(sibling)) return sibling;
    dir = dirname(dir);
  }
  throw new Error('proto/node.proto not found above ' + fileURLToPath(import.meta.url));
}

let cached: grpc.ServiceClientConstructor | undefined;

/** The generic client constructor of vigil.node.v1.Node; its `.service` is the server definition. */
export function nodeServiceConstructor(): grpc.ServiceClientConstructor {
  if (!cached) {
    const definition = protoLoader.loadSync(nodeProtoPath(), LOADER_OPTIONS);
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      vigil: { node: { v1: { Node: grpc.ServiceClientConstructor } } };
    };
    cached = pkg.vigil.node.v1.Node;
  }
  return cached;
}

/** The rpc names of the node API, in proto order. */
export function nodeApiMethods(): string[] {
  return Object.keys(nodeServiceConstructor().service);
}
