// The automation endpoint: the emulator's buttons over HTTP on loopback, as Speculos offers for
// Ledger apps, so tests and scripts can read the screen and press approve or reject.
//
//   GET  /screen           -> 200 {"pending": {"id": 3, "text": "..."}} or {"pending": null}
//   POST /screen/approve   -> 200 {"id": 3, "decision": "approved"}   (409 when nothing is pending)
//   POST /screen/reject    -> 200 {"id": 3, "decision": "denied"}
// A POST may name the confirmation it answers with ?id=N (409 if another one is shown).
// POSTs must carry the header `X-Vigil-Automation: 1`: a browser cannot add it cross-origin without a
// CORS preflight this server never grants, so a web page cannot press the buttons. The Host header
// must name the loopback address (defence against DNS rebinding).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { NothingToConfirm, type Screen, type ScreenDecision } from './screen.js';

export const AUTOMATION_HEADER = 'x-vigil-automation';

export interface AutomationServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}

export function startAutomationServer(screen: Screen, host: string, port: number, log: Logger): Promise<AutomationServer> {
  const server: Server = createServer((req, res) => {
    const boundPort = (server.address() as AddressInfo).port;
    if (!hostAllowed(req, boundPort)) return send(res, 403, { error: `Host header ${JSON.stringify(req.headers.host ?? '')} is not loopback` });
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${boundPort}`);
    // Drain any body; none is used.
    req.resume();
    if (url.pathname === '/screen') {
      if (req.method !== 'GET') return send(res, 405, { error: 'GET /screen' });
      return send(res, 200, { pending: screen.current ?? null });
    }
    const press: Record<string, ScreenDecision> = { '/screen/approve': 'approved', '/screen/reject': 'denied' };
    const decision = press[url.pathname];
    if (decision === undefined) return send(res, 404, { error: `no route ${url.pathname} (GET /screen, POST /screen/approve, POST /screen/reject)` });
    if (req.method !== 'POST') return send(res, 405, { error: `POST ${url.pathname}` });
    if (req.headers[AUTOMATION_HEADER] !== '1') return send(res, 403, { error: `POST needs the header ${AUTOMATION_HEADER}: 1` });
    const idText = url.searchParams.get('id');
    let expectedId: number | undefined;
    if (idText !== null) {
      expectedId = Number(idText);
      if (!/^[0-9]{1,15}$/.test(idText)) return send(res, 400, { error: `id must be a confirmation number, got ${JSON.stringify(idText)}` });
    }
    try {
      const answered = screen.press(decision, expectedId);
      log.info({ confirmation: answered.id, decision, via: 'automation' }, 'button pressed');
      return send(res, 200, { id: answered.id, decision });
    } catch (e) {
      if (e instanceof NothingToConfirm) return send(res, 409, { error: e.message });
      throw e;
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({
        address,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
