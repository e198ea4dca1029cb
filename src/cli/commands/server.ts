import { parseArgs } from "node:util";
import type { Logger } from "pino";
import { ExposureRefusedError } from "../../api/exposure.js";
import { createServer, type CaoServer } from "../../server.js";
import { UsageError } from "../usage.js";

export const serverHelp = `usage: cao server [--host H] [--port N] [--allow-remote] [--no-watch]

Runs cao-server in the foreground: the HTTP API, tmux terminals, the inbox, and plugins
(drop-ins from $CAO_PLUGINS_DIR, default ~/.cao/plugins, hot-reloaded unless --no-watch;
npm packages tagged "cao-plugin"). Ctrl-C or SIGTERM stops it cleanly: plugins get their
queued events, then teardown().

  --host H          listen address (default $CAO_API_HOST or 127.0.0.1)
  --port N          port (default $CAO_API_PORT or 9889)
  --allow-remote    allow a non-loopback --host (also CAO_ALLOW_REMOTE=1); needs CAO_API_TOKEN,
                    which every client must then send as "Authorization: Bearer <token>"
  --no-watch        do not hot-reload drop-in plugins

When CAO_API_TOKEN is set, every request needs it, on loopback too; cao and cao-mcp-server
send it from their own environment.
`;

export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "allow-remote": { type: "boolean" },
      "no-watch": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(serverHelp);
    return 0;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be a port number, got ${values.port}`);
  }
  let server: CaoServer;
  try {
    server = createServer({
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(values["allow-remote"] ? { allowRemote: true } : {}),
      watch: !values["no-watch"],
      // This process is ours: plugin code is contained (its stray throws and errors are WARNs, its process.exit() is
      // refused; see process-guard.ts).
      plugins: { guardUncaughtExceptions: true },
    });
  } catch (error) {
    if (!(error instanceof ExposureRefusedError)) throw error;
    process.stderr.write(`cao server: ${error.message}\n`);
    return 1;
  }
  const log = server.logger;
  try {
    await server.listen();
  } catch (error) {
    await server.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new UsageError(`the port is in use: is another cao-server running? (${(error as Error).message})`);
    throw error;
  }
  log.info(`cao-server listening on ${server.urls().join(", ")} (CAO_HOME ${server.caoHome})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info(`${signal}: shutting down`);
      void server.close().finally(resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  exitIfKeptAlive(log);
  return 0;
}

/** How long after shutdown the process may take to end by itself (flushing output, closing sockets). */
const EXIT_GRACE_MS = 2000;

/**
 * After shutdown nothing of ours is left running, but a plugin's interval or open socket (one its teardown() forgot)
 * would keep Node alive forever. The unref'd timer fires only if something does; then the process is ended.
 */
function exitIfKeptAlive(log: Logger): void {
  setTimeout(() => {
    log.warn(
      `something (a plugin's timer or socket left open after its teardown) kept the process alive after shutdown; exiting`,
    );
    process.exit();
  }, EXIT_GRACE_MS).unref();
}
