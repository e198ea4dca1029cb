import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { loadStaticFiles, type StaticFile } from "../static-files.js";

/** dist/dashboard, from src/api/routes (tests) and dist/api/routes (the package) alike: both sit three levels down. */
export const DASHBOARD_DIR = fileURLToPath(new URL("../../../dist/dashboard/", import.meta.url));

// The page only talks to its own origin and must not be framed: a framing page could click its buttons (clickjacking),
// which the Origin rule of docs/contract.md#http-api cannot see since the clicks come from the page itself.
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * GET / (the web dashboard of docs/contract.md#events) and its hashed assets under /assets/. index.html is revalidated on every
 * load (its ETag changes with each build); assets carry their content hash in their name, so they are cached for good.
 * Any other path falls through to the JSON 404 that API clients expect.
 */
export function dashboardRoutes(app: FastifyInstance, options: { dir?: string } = {}): void {
  const files = loadStaticFiles(options.dir ?? DASHBOARD_DIR);
  const send = (request: FastifyRequest, reply: FastifyReply, file: StaticFile, cacheControl: string) => {
    reply.headers({ ...PAGE_HEADERS, "cache-control": cacheControl, etag: file.etag });
    if (request.headers["if-none-match"] === file.etag) return reply.status(304).send();
    return reply.type(file.contentType).send(file.body);
  };

  app.get("/", async (request, reply) => {
    const index = files.get("/index.html");
    if (!index) return reply.status(404).send({ detail: "the dashboard is not built: run `npm run build`" });
    return send(request, reply, index, "no-cache");
  });

  app.get<{ Params: { file: string } }>("/assets/:file", async (request, reply) => {
    const file = files.get(`/assets/${request.params.file}`);
    if (!file) return reply.status(404).send({ detail: `no route GET /assets/${request.params.file}` });
    return send(request, reply, file, "public, max-age=31536000, immutable");
  });
}
