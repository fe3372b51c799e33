/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of a real server, for the middlebox that drops an idle
 * flow silently: freeze() makes every connection open so far a black hole in both directions (no
 * FIN, no RST: bytes are swallowed), while connections made afterwards are forwarded normally.
 * close() destroys every socket on both sides.
 */
import net from 'node:net';

interface Flow {
  client: net.Socket;
  server: net.Socket;
  frozen: boolean;
}

export class FreezingProxy {
  port = 0;
  private readonly flows = new Set<Flow>();
  private readonly listener: net.Server;

  private constructor(private readonly targetHost: string, private readonly targetPort: number) {
    this.listener = net.createServer((client) => this.accept(client));
  }

  static async start(targetHost: string, targetPort: number): Promise<FreezingProxy> {
    const proxy = new FreezingProxy(targetHost, targetPort);
    await new Promise<void>((resolve) => proxy.listener.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.listener.address() as net.AddressInfo).port;
    return proxy;
  }

  /** Flows currently forwarded (not frozen). */
  get live(): number {
    return [...this.flows].filter((f) => !f.frozen).length;
  }

  /** Every flow open now goes silent for good. */
  freeze(): void {
    for (const flow of this.flows) flow.frozen = true;
  }

  async close(): Promise<void> {
    for (const flow of this.flows) {
      flow.client.destroy();
      flow.server.destroy();
    }
    this.flows.clear();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const server = net.connect(this.targetPort, this.targetHost);
    const flow: Flow = { client, server, frozen: false };
    this.flows.add(flow);
    const pipe = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (data) => {
        if (!flow.frozen) to.write(data);
      });
      from.on('end', () => {
        if (!flow.frozen) to.end();
      });
      from.on('error', () => {});
      from.on('close', () => {
        if (flow.frozen) return; // a frozen flow never tells the other side
        to.destroy();
        this.flows.delete(flow);
      });
    };
    pipe(client, server);
    pipe(server, client);
  }
}
