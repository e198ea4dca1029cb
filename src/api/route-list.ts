import type { FastifyInstance } from "fastify";

/** One route as registered: its method and its URL pattern (`:name` for a path parameter). */
export interface RouteEntry {
  method: string;
  url: string;
}

const lists = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * Records every route registered on `app` from now on. What the server answers is then a fact the tests can read
 * (docs/compatibility.md is checked against it) instead of a list kept by hand beside the route files.
 */
export function recordRoutes(app: FastifyInstance): void {
  const routes: RouteEntry[] = [];
  lists.set(app, routes);
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // HEAD twins of GET routes are fastify's own (exposeHeadRoutes), not routes of CAO's.
    for (const method of methods) if (method !== "HEAD") routes.push({ method, url: route.url });
  });
}

/** The routes registered on `app` since recordRoutes, in registration order. */
export function registeredRoutes(app: FastifyInstance): RouteEntry[] {
  return [...(lists.get(app) ?? [])];
}
