import net from "node:net";

/**
 * A TCP port that was free a moment ago on 127.0.0.1: the kernel picks one for a throwaway listener, which is closed
 * before this resolves. For tests that must tell a child process its port up front (a `cao server` child, a second
 * server on the same port); a server in this process should listen on port 0 instead.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
