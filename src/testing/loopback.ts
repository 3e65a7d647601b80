/** Test servers listen on 127.0.0.1 only (all test traffic stays on loopback), on a free port. */
import type { AddressInfo, Server } from 'node:net';

/** Starts `server` on 127.0.0.1 with a port the OS picks; resolves to that port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
