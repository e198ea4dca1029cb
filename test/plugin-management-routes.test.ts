/**
 * The plugin management routes of a real listening server (DESIGN §13): GET /plugins/:name (the list row plus config
 * as written, isolation and stats; 404 for unknown names), POST /plugins/:name/reload (re-import and swap, or 409 and
 * the running version stays), and the request gate in front of every POST.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RAW_PLUGIN } from "./helpers/config-plugins.js";
import { COMMENTED_CONFIG, startConfigServer, stopConfigServers } from "./helpers/config-server.js";
import { removeTempDirs, writeFile } from "./helpers/fs-fixtures.js";
import { variantOf } from "./helpers/plugin-fixtures.js";

afterEach(async () => {
  await stopConfigServers();
  removeTempDirs();
});

describe("REST: GET /plugins/:name, POST reload, the request gate", () => {
  it("GET /plugins/:name is the list row (isolation included) plus config as written and stats; 404 for unknown names", async () => {
    const r = await startConfigServer({ plugins: { "a.js": RAW_PLUGIN }, config: COMMENTED_CONFIG, watch: false });
    const info = await r.http("GET", "/plugins/a");
    expect(info.status).toBe(200);
    const listed = (await r.http("GET", "/plugins")).body.find((p: { name: string }) => p.name === "a");
    expect(info.body).toEqual({
      ...listed,
      config: { level: 1 },
      stats: { delivered: 0, failed: 0, timedOut: 0, dropped: 0, pending: 0 },
    });
    for (const [method, route] of [
      ["GET", "/plugins/nope"],
      ["POST", "/plugins/nope/reload"],
      ["POST", "/plugins/nope/enable"],
      ["POST", "/plugins/nope/disable"],
    ] as const) {
      const answer = await r.http(method, route);
      expect(answer, `${method} ${route}`).toEqual({ status: 404, body: { detail: 'no plugin named "nope"' } });
    }
    expect(fs.readFileSync(r.configFile, "utf8")).toBe(COMMENTED_CONFIG); // a 404 wrote nothing
  });

  it("GET /plugins/:name and GET /plugins report the same isolation: declared by the class, set in config.yaml, or neither", async () => {
    const declared = `import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
export default class Declared extends CaoPlugin {
  static isolation = "worker";
  @hook("message_sent") seen() {}
}
`;
    const r = await startConfigServer({
      plugins: { "declared.ts": declared, "plain.js": RAW_PLUGIN, "off.js": RAW_PLUGIN },
      // No section for "declared": only its class says where it runs. "off" is set to a worker but not running.
      config: `plugins:\n  off:\n    enabled: false\n    isolation: worker\n`,
      watch: false,
    });
    const listed = (await r.http("GET", "/plugins")).body as { name: string; status: string; isolation: string }[];
    const detailed = await Promise.all(
      listed.map(
        async ({ name }) =>
          (await r.http("GET", `/plugins/${name}`)).body as { name: string; status: string; isolation: string },
      ),
    );
    const summary = (rows: { name: string; status: string; isolation: string }[]) =>
      rows.map((p) => [p.name, p.status, p.isolation]).sort(([a], [b]) => a!.localeCompare(b!));
    const expected = [
      ["declared", "active", "worker"],
      ["off", "disabled", "worker"],
      ["plain", "active", "inline"],
    ];
    expect.soft(summary(detailed), "GET /plugins/:name").toEqual(expected);
    expect.soft(summary(listed), "GET /plugins").toEqual(expected);
  });

  it("reload re-imports a drop-in and swaps it in; a version that does not load keeps the running one (409)", async () => {
    const version = (n: number) =>
      variantOf(RAW_PLUGIN, "config: context.config ?? null", `config: context.config ?? null, version: ${n}`);
    const r = await startConfigServer({ plugins: { "a.js": version(1) }, watch: false });
    writeFile(path.join(r.home, "plugins", "a.js"), version(2));
    const answer = await r.http("POST", "/plugins/a/reload");
    expect(answer).toMatchObject({ status: 200, body: { name: "a", status: "active", hooks: ["message_sent"] } });
    expect(r.record("a")).toEqual([
      { at: "setup", config: null, version: 1 },
      { at: "teardown" },
      { at: "setup", config: null, version: 2 },
    ]);
    writeFile(path.join(r.home, "plugins", "a.js"), "export default {{ syntax error");
    const bad = await r.http("POST", "/plugins/a/reload");
    expect(bad.status).toBe(409);
    expect(bad.body.detail).toMatch(/plugin "a" did not reload: import failed: .*\(the running version stays\)/s);
    expect(r.row("a")?.status).toBe("active");
    expect(r.record("a")).toHaveLength(3);
  });

  it("the request gate applies: a cross-site Origin gets 403 and changes nothing", async () => {
    const r = await startConfigServer({ plugins: { "a.js": RAW_PLUGIN }, watch: false });
    for (const route of ["/plugins/a/disable", "/plugins/a/reload", "/plugins/a/enable", "/plugins/rescan"]) {
      const answer = await r.http("POST", route, { origin: "http://evil.example" });
      expect(answer.status, route).toBe(403);
      expect(answer.body.detail).toMatch(/cross-origin request refused/);
    }
    expect(r.row("a")?.status).toBe("active");
    expect(r.record("a")).toHaveLength(1);
    expect(fs.existsSync(r.configFile)).toBe(false);
    // The server's own page may.
    const port = new URL(r.url).port;
    expect((await r.http("POST", "/plugins/a/disable", { origin: `http://localhost:${port}` })).status).toBe(200);
  });
});
