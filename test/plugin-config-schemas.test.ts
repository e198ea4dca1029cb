/**
 * DESIGN §13, config schemas, through real drop-ins and a real listening server: a plugin's `config:` section of
 * config.yaml validated by a hand-written Standard Schema, by zod 4 and by valibot; what a valid, an invalid and a
 * missing section do to that plugin (and to no other).
 */
import { afterEach, describe, expect, it } from "vitest";
import { HAND_PLUGIN, RAW_PLUGIN, VALIBOT_PLUGIN, ZOD_PLUGIN } from "./helpers/config-plugins.js";
import { startConfigServer, stopConfigServers } from "./helpers/config-server.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";

afterEach(async () => {
  await stopConfigServers();
  removeTempDirs();
});

describe("schemas: hand-written, zod 4, valibot", () => {
  it("a valid section reaches the plugin as the schema's output (defaults filled), as this.config and context.config", async () => {
    const r = await startConfigServer({
      plugins: { "hand.ts": HAND_PLUGIN, "zodded.ts": ZOD_PLUGIN, "vali.js": VALIBOT_PLUGIN },
      config: `plugins:
  hand:
    config: { url: "http://a.example" }
  zodded:
    config:
      url: http://b.example/hook
  vali:
    config: { url: "http://c.example" }
`,
    });
    expect(r.server.registry.list().map((p) => [p.name, p.status])).toEqual([
      ["hand", "active"],
      ["vali", "active"],
      ["zodded", "active"],
    ]);
    expect(r.record("hand")).toEqual([{ at: "setup", config: { url: "http://a.example", retries: 3 }, same: true }]);
    expect(r.record("zodded")).toEqual([
      { at: "setup", config: { url: "http://b.example/hook", events: ["message_sent"] }, same: true },
    ]);
    expect(r.record("vali")).toEqual([{ at: "setup", config: { url: "http://c.example", port: 8080 } }]);
  });

  it("an invalid section fails that plugin only, and the error names the field", async () => {
    const r = await startConfigServer({
      plugins: {
        "hand.ts": HAND_PLUGIN,
        "zodded.ts": ZOD_PLUGIN,
        "vali.js": VALIBOT_PLUGIN,
        "fine.js": RAW_PLUGIN,
      },
      config: `plugins:
  hand:
    config: { url: "http://a.example", retries: -1 }
  zodded:
    config: { url: "http://b.example", events: [message_sent, nonsense] }
  vali:
    config: { url: 42 }
  fine:
    config: { anything: [1, 2] }
`,
    });
    expect(r.row("hand")).toMatchObject({
      status: "failed",
      error: expect.stringContaining("config.retries: expected an integer >= 0"),
    });
    expect(r.row("zodded")).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/invalid config: config\.events\[1\]: /),
    });
    expect(r.row("vali")).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/invalid config: config\.url: /),
    });
    expect(r.row("fine")?.status).toBe("active");
    expect(r.record("fine")).toEqual([{ at: "setup", config: { anything: [1, 2] } }]);
    for (const name of ["hand", "zodded", "vali"]) expect(r.record(name)).toEqual([]); // setup never ran
    const warned = r.logs.warnings().map((l) => l.msg);
    expect(warned.some((m) => m.includes(`plugin "zodded" skipped: invalid config: config.events[1]`))).toBe(true);
  });

  it("a missing section is validated as undefined: a schema that requires config fails the plugin", async () => {
    const r = await startConfigServer({ plugins: { "zodded.ts": ZOD_PLUGIN, "fine.js": RAW_PLUGIN } });
    expect(r.row("zodded")).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/^invalid config: config: /),
    });
    expect(r.record("fine")).toEqual([{ at: "setup", config: null }]);
  });
});
