import type { FastifyError, FastifyInstance } from "fastify";

/**
 * Errors as CAO's clients expect them: JSON `{ "detail": "…" }`, 400 for bad input (including schema
 * validation), 404 unknown session/terminal, 409 conflict, 503 tmux or storage unavailable (a WARN line), 500 otherwise (logged with its stack).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { statusCode?: number }, request, reply) => {
    if (error.validation) {
      const detail = error.validation
        .map(
          (v) =>
            `${(v.instancePath || "").replace(/^\//, "") || (v.params as { missingProperty?: string }).missingProperty || "request"} ${v.message ?? "is invalid"}`,
        )
        .join("; ");
      return reply.status(400).send({ detail });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    // 503 is an expected condition (tmux hung or missing, storage full): one WARN line, not a stack per request.
    if (status === 503) request.log.warn(`request answered 503: ${error.message}`);
    else if (status >= 500) request.log.error({ err: error }, `request failed: ${error.message}`);
    return reply.status(status).send({ detail: error.message || "internal error" });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ detail: `no route ${request.method} ${request.url.split("?")[0]}` }),
  );
}
