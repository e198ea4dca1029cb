import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { PaneActivity } from "../../services/pane-activity.js";
import type { TerminalService } from "../../services/terminal-service.js";
import { terminalParams } from "../schemas.js";
import { ScreenStream } from "../screen-stream.js";

/** How often a shown screen is captured without activity, and at most how often with it. */
const POLL_MS = 2_000;
const MIN_INTERVAL_MS = 100;

/**
 * `GET /terminals/:terminal_id/screen` (docs/contract.md#routes): a terminal's pane, live and read-only, as
 * Server-Sent Events; what the dashboard's terminal view shows. Typing goes through the input and key routes.
 */
export function terminalScreenRoutes(
  app: FastifyInstance,
  deps: { terminals: TerminalService; activity?: PaneActivity; logger: Logger; keepAliveMs?: number },
): void {
  const clients = new Set<ScreenStream>();
  app.addHook("preClose", async () => {
    for (const client of [...clients]) client.end();
  });

  app.get<{ Params: { terminal_id: string } }>(
    "/terminals/:terminal_id/screen",
    { schema: { params: terminalParams } },
    async (request, reply) => {
      const id = request.params.terminal_id;
      deps.terminals.record(id); // 404 before the stream starts
      reply.hijack();
      const client: ScreenStream = new ScreenStream(reply.raw, {
        capture: () => deps.terminals.screen(id),
        onActivity: (listener) =>
          deps.activity?.onActivity((terminal) => terminal === id && listener()) ?? (() => undefined),
        pollMs: POLL_MS,
        minIntervalMs: MIN_INTERVAL_MS,
        keepAliveMs: deps.keepAliveMs ?? 15_000,
        logger: deps.logger,
        onClose: () => clients.delete(client),
      });
      clients.add(client);
    },
  );
}
