/**
 * docs/contract.md#configyaml through real files and a real listening server: config.yaml read at start and watched (real chokidar
 * events), `${VAR}` interpolation, schemas written by hand, with zod 4 and with valibot, enable/disable persisted into
 * the file with its comments kept, and the management routes (with the request gate in front of them).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type CaoServer } from "../src/server.js";
import { captureLogs } from "./helpers/log-capture.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { waitFor } from "./helpers/wait.js";

const require = createRequire(import.meta.url);
// Drop-ins live in a temp CAO_HOME, where bare "zod" / "valibot" do not resolve: they import this checkout's copies by path.
const ZOD = require.resolve("zod");
const VALIBOT = require.resolve("valibot");

interface Running {
  home: string;
  url: string;
  server: CaoServer;
  logs: ReturnType<typeof captureLogs>;
  configFile: string;
  http(method: string, route: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** What the plugin `name` recorded: one entry per setup ("setup", config) and teardown. */
  record(name: string): Array<{ at: string; config?: unknown }>;
}

const running: CaoServer[] = [];
let counter = 0;

afterEach(async () => {
  for (const server of running.splice(0)) {
    await server.close();
    await server.tmux.killServer();
  }
  removeTempDirs();
});

async function start(options: { plugins?: Record<string, string>; config?: string; env?: Record<string, string>; watch?: boolean; home?: string }): Promise<Running> {
  const home = options.home ?? tempDir("cao-config-");
  for (const [file, source] of Object.entries(options.plugins ?? {})) writeFile(path.join(home, "plugins", file), source);
  const configFile = path.join(home, "config.yaml");
  if (options.config !== undefined) writeFile(configFile, options.config);
  const logs = captureLogs("info");
  const server = createServer({
    env: { CAO_HOME: home, PATH: process.env.PATH, ...options.env },
    port: 0,
    watch: options.watch ?? true,
    logger: logs.logger,
    tmux: { socketName: `cao-config-${process.pid}-${++counter}` },
    plugins: { reloadDebounceMs: 50 },
  });
  running.push(server);
  const url = await server.listen();
  return {
    home,
    url,
    server,
    logs,
    configFile,
    async http(method, route, headers = {}) {
      const response = await fetch(new URL(route, url), { method, headers });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    record(name) {
      const file = path.join(home, "out", `${name}.jsonl`);
      if (!fs.existsSync(file)) return [];
      return fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
    },
  };
}

/** Appends what happened to `<CAO_HOME>/out/<name>.jsonl`: the tests read the plugin's own account of its config. */
const RECORDER = `
import fs from "node:fs";
import path from "node:path";
function record(home, name, entry) {
  fs.mkdirSync(path.join(home, "out"), { recursive: true });
  fs.appendFileSync(path.join(home, "out", name + ".jsonl"), JSON.stringify(entry) + "\\n");
}
`;

/** A class plugin with `static configSchema` (the schema's source given), recording `this.config` at setup. */
function classPlugin(name: string, imports: string, schema: string): string {
  return `${RECORDER}
import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
${imports}
const Settings = ${schema};
export default class P extends CaoPlugin<typeof Settings> {
  static configSchema = Settings;
  home = "";
  async setup(context) { this.home = context.caoHome; record(context.caoHome, "${name}", { at: "setup", config: this.config, same: context.config === this.config }); }
  async teardown() { record(this.home, "${name}", { at: "teardown" }); }
  @hook("message_sent") async seen() {}
}
`;
}

/** A hand-written Standard Schema: { url: string (required), retries: integer ≥ 0 (default 3) }. */
const HAND_WRITTEN = `{
  "~standard": {
    version: 1,
    vendor: "hand",
    validate(value) {
      if (typeof value !== "object" || value === null) return { issues: [{ message: "expected a mapping", path: [] }] };
      const issues = [];
      if (typeof value.url !== "string") issues.push({ message: "expected a string", path: ["url"] });
      const retries = value.retries ?? 3;
      if (!Number.isInteger(retries) || retries < 0) issues.push({ message: "expected an integer >= 0", path: [{ key: "retries" }] });
      return issues.length ? { issues } : { value: { url: value.url, retries } };
    },
  },
}`;

const ZOD_PLUGIN = (name: string) =>
  classPlugin(name, `import { z } from ${JSON.stringify(ZOD)};`, `z.object({ url: z.string().url(), events: z.array(z.enum(["message_sent", "session_created"])).default(["message_sent"]) })`);

const VALIBOT_PLUGIN = (name: string) => `${RECORDER}
import { definePlugin } from "cli-agent-orchestrator/plugins";
import * as v from ${JSON.stringify(VALIBOT)};
export default definePlugin({
  config: v.object({ url: v.pipe(v.string(), v.url()), port: v.optional(v.number(), 8080) }),
  setup(context) { record(context.caoHome, "${name}", { at: "setup", config: context.config }); this.home = context.caoHome; },
  teardown() { record(this.home, "${name}", { at: "teardown" }); },
  hooks: { message_sent() {} },
});
`;

/** No schema: the raw config (interpolated) reaches the plugin. */
const RAW_PLUGIN = (name: string) => `${RECORDER}
import { definePlugin } from "cli-agent-orchestrator/plugins";
export default definePlugin({
  setup(context) { record(context.caoHome, "${name}", { at: "setup", config: context.config ?? null }); this.home = context.caoHome; },
  teardown() { record(this.home, "${name}", { at: "teardown" }); },
  hooks: { message_sent() {} },
});
`;

function row(r: Running, name: string) {
  return r.server.registry.list().find((p) => p.name === name);
}

describe("schemas: hand-written, zod 4, valibot", () => {
  it("a valid section reaches the plugin as the schema's output (defaults filled), as this.config and context.config", async () => {
    const r = await start({
      plugins: { "hand.ts": classPlugin("hand", "", HAND_WRITTEN), "zodded.ts": ZOD_PLUGIN("zodded"), "vali.js": VALIBOT_PLUGIN("vali") },
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
    expect(r.record("zodded")).toEqual([{ at: "setup", config: { url: "http://b.example/hook", events: ["message_sent"] }, same: true }]);
    expect(r.record("vali")).toEqual([{ at: "setup", config: { url: "http://c.example", port: 8080 } }]);
  });

  it("an invalid section fails that plugin only, and the error names the field", async () => {
    const r = await start({
      plugins: {
        "hand.ts": classPlugin("hand", "", HAND_WRITTEN),
        "zodded.ts": ZOD_PLUGIN("zodded"),
        "vali.js": VALIBOT_PLUGIN("vali"),
        "fine.js": RAW_PLUGIN("fine"),
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
    expect(row(r, "hand")).toMatchObject({ status: "failed", error: expect.stringContaining("config.retries: expected an integer >= 0") });
    expect(row(r, "zodded")).toMatchObject({ status: "failed", error: expect.stringMatching(/invalid config: config\.events\[1\]: /) });
    expect(row(r, "vali")).toMatchObject({ status: "failed", error: expect.stringMatching(/invalid config: config\.url: /) });
    expect(row(r, "fine")?.status).toBe("active");
    expect(r.record("fine")).toEqual([{ at: "setup", config: { anything: [1, 2] } }]);
    for (const name of ["hand", "zodded", "vali"]) expect(r.record(name)).toEqual([]); // setup never ran
    const warned = r.logs.warnings().map((l) => l.msg);
    expect(warned.some((m) => m.includes(`plugin "zodded" skipped: invalid config: config.events[1]`))).toBe(true);
  });

  it("a missing section is validated as undefined: a schema that requires config fails the plugin", async () => {
    const r = await start({ plugins: { "zodded.ts": ZOD_PLUGIN("zodded"), "fine.js": RAW_PLUGIN("fine") } });
    expect(row(r, "zodded")).toMatchObject({ status: "failed", error: expect.stringMatching(/^invalid config: config: /) });
    expect(r.record("fine")).toEqual([{ at: "setup", config: null }]);
  });
});

describe("${VAR} interpolation", () => {
  it("replaces variables from the server's environment, with fallbacks and $${ escapes, in nested values", async () => {
    const r = await start({
      plugins: { "fine.js": RAW_PLUGIN("fine") },
      env: { HOOK_HOST: "hooks.example", HOOK_TOKEN: "s3cret" },
      config: `plugins:
  fine:
    config:
      url: https://\${HOOK_HOST}/post
      headers: [ "Bearer \${HOOK_TOKEN}" ]
      region: \${HOOK_REGION:-eu}
      literal: $\${NOT_A_VAR}
      count: 3
`,
    });
    expect(r.record("fine")).toEqual([
      { at: "setup", config: { url: "https://hooks.example/post", headers: ["Bearer s3cret"], region: "eu", literal: "${NOT_A_VAR}", count: 3 } },
    ]);
    // GET /plugins/:name shows the section as written: secrets from the environment are not echoed.
    const info = await r.http("GET", "/plugins/fine");
    expect(info.body.config).toEqual({ url: "https://${HOOK_HOST}/post", headers: ["Bearer ${HOOK_TOKEN}"], region: "${HOOK_REGION:-eu}", literal: "$${NOT_A_VAR}", count: 3 });
  });

  it("an unset variable fails that plugin with an error naming the variable and the field", async () => {
    const r = await start({
      plugins: { "fine.js": RAW_PLUGIN("fine"), "other.js": RAW_PLUGIN("other") },
      config: `plugins:\n  fine:\n    config:\n      hook: { url: "\${CAO_TEST_UNSET_VARIABLE}" }\n`,
    });
    expect(row(r, "fine")).toMatchObject({
      status: "failed",
      error: expect.stringContaining("config.hook.url: environment variable CAO_TEST_UNSET_VARIABLE is not set"),
    });
    expect(row(r, "other")?.status).toBe("active");
  });
});

describe("config.yaml while the server runs (real file events)", () => {
  it("editing one plugin's section restarts that plugin only, with the new config", async () => {
    const r = await start({
      plugins: { "a.js": RAW_PLUGIN("a"), "b.js": RAW_PLUGIN("b") },
      config: `# my settings\nplugins:\n  a:\n    config: { level: 1 }\n  b:\n    config: { level: 1 }\n`,
    });
    fs.writeFileSync(r.configFile, `# my settings\nplugins:\n  a:\n    config: { level: 2 }\n  b:\n    config: { level: 1 }\n`);
    await waitFor(() => r.record("a").length === 3, 10_000, "plugin a to be restarted");
    expect(r.record("a")).toEqual([
      { at: "setup", config: { level: 1 } },
      { at: "teardown" },
      { at: "setup", config: { level: 2 } },
    ]);
    expect(r.record("b")).toEqual([{ at: "setup", config: { level: 1 } }]);
    expect(row(r, "a")?.status).toBe("active");
    // Saving the same content again (an editor's touch) changes no section: nothing restarts.
    fs.writeFileSync(r.configFile, fs.readFileSync(r.configFile, "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.record("a")).toHaveLength(3);
    expect(r.record("b")).toHaveLength(1);
  });

  it("CAO_CONFIG names the file; an isolation change restarts the plugin and GET /plugins/:name shows it", async () => {
    const elsewhere = path.join(tempDir("cao-config-file-"), "settings", "cao.yaml");
    writeFile(elsewhere, `plugins:\n  a:\n    config: { level: 1 }\n`);
    const r = await start({ plugins: { "a.js": RAW_PLUGIN("a") }, env: { CAO_CONFIG: elsewhere }, config: `plugins:\n  a:\n    config: { level: 99 }\n` });
    expect(r.record("a")).toEqual([{ at: "setup", config: { level: 1 } }]); // $CAO_HOME/config.yaml is not read
    expect((await r.http("GET", "/plugins/a")).body).toMatchObject({ isolation: "inline", config: { level: 1 } });
    fs.writeFileSync(elsewhere, `plugins:\n  a:\n    isolation: worker\n    config: { level: 1 }\n`);
    await waitFor(() => r.record("a").length === 3, 10_000, "plugin a to restart");
    expect((await r.http("GET", "/plugins/a")).body).toMatchObject({ isolation: "worker", status: "active" });
    expect((await r.http("POST", "/plugins/a/disable")).status).toBe(200);
    expect(fs.readFileSync(elsewhere, "utf8")).toContain("enabled: false");
    expect(fs.readFileSync(r.configFile, "utf8")).not.toContain("enabled");
  });

  it("a section that becomes invalid fails that plugin; fixing it loads it again", async () => {
    const r = await start({
      plugins: { "zodded.ts": ZOD_PLUGIN("zodded") },
      config: `plugins:\n  zodded:\n    config: { url: "http://ok.example" }\n`,
    });
    fs.writeFileSync(r.configFile, `plugins:\n  zodded:\n    config: { url: "not a url" }\n`);
    await waitFor(() => row(r, "zodded")?.status === "failed", 10_000, "zodded to fail");
    expect(row(r, "zodded")?.error).toMatch(/invalid config: config\.url: /);
    expect(r.record("zodded").map((e) => e.at)).toEqual(["setup", "teardown"]);
    fs.writeFileSync(r.configFile, `plugins:\n  zodded:\n    config: { url: "http://again.example" }\n`);
    await waitFor(() => row(r, "zodded")?.status === "active", 10_000, "zodded to load again");
    expect(r.record("zodded").at(-1)).toEqual({ at: "setup", config: { url: "http://again.example", events: ["message_sent"] }, same: true });
  });

  it("a broken file (bad YAML, then a wrong shape) keeps the running state, with a WARN", async () => {
    const r = await start({ plugins: { "a.js": RAW_PLUGIN("a") }, config: `plugins:\n  a:\n    config: { level: 1 }\n` });
    fs.writeFileSync(r.configFile, `plugins:\n  a:\n    config: { level: 2\n`); // unclosed flow mapping
    await waitFor(() => r.logs.warnings().some((l) => l.msg.includes("keeping the running state") && l.msg.includes("not valid YAML")), 10_000, "the WARN");
    fs.writeFileSync(r.configFile, `plugins:\n  a:\n    enable: false\n`); // misspelt key
    await waitFor(() => r.logs.warnings().some((l) => l.msg.includes("plugins.a.enable is not a setting")), 10_000, "the shape WARN");
    expect(row(r, "a")?.status).toBe("active");
    expect(r.record("a")).toEqual([{ at: "setup", config: { level: 1 } }]);
    expect((await r.http("GET", "/plugins/a")).body.config).toEqual({ level: 1 });
  });

  it("enabled: false lists the plugin as disabled and never imports it; flipping it in the file loads it", async () => {
    const marker = (home: string) => path.join(home, "imported");
    const home = tempDir("cao-config-");
    const source = `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker(home))}, "yes");\n${RAW_PLUGIN("off")}`;
    const r = await start({ home, plugins: { "off.js": source }, config: `plugins:\n  off:\n    enabled: false\n` });
    expect(row(r, "off")).toMatchObject({ status: "disabled", hooks: [] });
    expect(fs.existsSync(marker(home))).toBe(false);
    fs.writeFileSync(r.configFile, `plugins:\n  off:\n    enabled: true\n    config: { on: yes }\n`);
    await waitFor(() => row(r, "off")?.status === "active", 10_000, "off to load");
    expect(r.record("off")).toEqual([{ at: "setup", config: { on: "yes" } }]);
  });
});

describe("enabled: false and hot reload", () => {
  it("a disabled drop-in edited or added while the server runs is listed disabled and never imported", async () => {
    const home = tempDir("cao-config-");
    const marker = path.join(home, "imported");
    const source = (n: number) => `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "v${n}");\n${RAW_PLUGIN("off")}`;
    const r = await start({ home, plugins: { "off.js": source(1), "on.js": RAW_PLUGIN("on") }, config: `plugins:\n  off: { enabled: false }\n  late: { enabled: false }\n` });
    writeFile(path.join(home, "plugins", "off.js"), source(2));
    writeFile(path.join(home, "plugins", "late.js"), source(3));
    writeFile(path.join(home, "plugins", "on.js"), RAW_PLUGIN("on").replace("config: context.config ?? null", "config: 2"));
    await waitFor(() => r.record("on").length === 3, 10_000, "the enabled drop-in to reload");
    await waitFor(() => row(r, "late")?.status === "disabled", 10_000, "late to be listed");
    expect(row(r, "off")?.status).toBe("disabled");
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe("REST: GET /plugins/:name, POST reload | enable | disable | rescan", () => {
  const COMMENTED = `# CAO settings, edited by hand
server_note: keep me   # a key CAO does not use
plugins:
  # the one that talks to Slack
  a:
    config:
      level: 1   # verbose
`;

  it("GET /plugins/:name is the list row (isolation included) plus config as written and stats; 404 for unknown names", async () => {
    const r = await start({ plugins: { "a.js": RAW_PLUGIN("a") }, config: COMMENTED, watch: false });
    const info = await r.http("GET", "/plugins/a");
    expect(info.status).toBe(200);
    const listed = (await r.http("GET", "/plugins")).body.find((p: { name: string }) => p.name === "a");
    expect(info.body).toEqual({ ...listed, config: { level: 1 }, stats: { delivered: 0, failed: 0, timedOut: 0, dropped: 0, pending: 0 } });
    for (const [method, route] of [
      ["GET", "/plugins/nope"],
      ["POST", "/plugins/nope/reload"],
      ["POST", "/plugins/nope/enable"],
      ["POST", "/plugins/nope/disable"],
    ] as const) {
      const answer = await r.http(method, route);
      expect(answer, `${method} ${route}`).toEqual({ status: 404, body: { detail: 'no plugin named "nope"' } });
    }
    expect(fs.readFileSync(r.configFile, "utf8")).toBe(COMMENTED); // a 404 wrote nothing
  });

  it("GET /plugins/:name and GET /plugins report the same isolation: declared by the class, set in config.yaml, or neither", async () => {
    const declared = `import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
export default class Declared extends CaoPlugin {
  static isolation = "worker";
  @hook("message_sent") seen() {}
}
`;
    const r = await start({
      plugins: { "declared.ts": declared, "plain.js": RAW_PLUGIN("plain"), "off.js": RAW_PLUGIN("off") },
      // No section for "declared": only its class says where it runs. "off" is set to a worker but not running.
      config: `plugins:\n  off:\n    enabled: false\n    isolation: worker\n`,
      watch: false,
    });
    const listed = (await r.http("GET", "/plugins")).body as { name: string; status: string; isolation: string }[];
    const detailed = await Promise.all(listed.map(async ({ name }) => (await r.http("GET", `/plugins/${name}`)).body as { name: string; status: string; isolation: string }));
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

  it("disable then enable: persisted into config.yaml with comments and other keys kept; teardown, then setup again", async () => {
    const r = await start({ plugins: { "a.js": RAW_PLUGIN("a") }, config: COMMENTED, watch: true });
    const off = await r.http("POST", "/plugins/a/disable");
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ name: "a", status: "disabled" });
    expect(r.record("a").map((e) => e.at)).toEqual(["setup", "teardown"]);
    const written = fs.readFileSync(r.configFile, "utf8");
    // Comments and keys stay where they were (yaml normalises the spaces before an end-of-line comment to one).
    for (const kept of ["# CAO settings, edited by hand\nserver_note: keep me # a key CAO does not use\nplugins:\n  # the one that talks to Slack\n  a:", "level: 1 # verbose"]) {
      expect(written).toContain(kept);
    }
    expect(written).toMatch(/ {4}enabled: false/);
    const on = await r.http("POST", "/plugins/a/enable");
    expect(on).toMatchObject({ status: 200, body: { name: "a", status: "active" } });
    expect(fs.readFileSync(r.configFile, "utf8")).toBe(written.replace("enabled: false", "enabled: true"));
    // The watcher saw our own writes: they changed no section, so nothing restarted on top of the REST calls.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.record("a")).toEqual([{ at: "setup", config: { level: 1 } }, { at: "teardown" }, { at: "setup", config: { level: 1 } }]);
    // After a restart the file decides: still enabled, and a disabled one stays disabled.
    await r.http("POST", "/plugins/a/disable");
    await r.server.close();
    const again = await start({ home: r.home, watch: false });
    expect(row(again, "a")?.status).toBe("disabled");
  });

  it("a config.yaml that is a symlink stays one, and keeps its permissions", async () => {
    const dotfiles = tempDir("cao-dotfiles-");
    const real = writeFile(path.join(dotfiles, "cao.yaml"), `# from my dotfiles\nplugins: {}\n`);
    fs.chmodSync(real, 0o600);
    const home = tempDir("cao-config-");
    fs.symlinkSync(real, path.join(home, "config.yaml"));
    const r = await start({ home, plugins: { "a.js": RAW_PLUGIN("a") }, watch: false });
    expect((await r.http("POST", "/plugins/a/disable")).status).toBe(200);
    expect(fs.lstatSync(r.configFile).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, "utf8")).toBe(`# from my dotfiles\nplugins: { a: { enabled: false } }\n`);
    expect(fs.statSync(real).mode & 0o777).toBe(0o600);
    await r.server.close();
    // Edited at its target while a server runs: the watcher sees it through the link.
    const watching = await start({ home, watch: true });
    expect(row(watching, "a")?.status).toBe("disabled");
    fs.writeFileSync(real, `plugins: { a: { enabled: true } }\n`);
    await waitFor(() => row(watching, "a")?.status === "active", 10_000, "a to be enabled through the link");
  });

  it("disable creates config.yaml when there is none", async () => {
    const r = await start({ plugins: { "a.js": RAW_PLUGIN("a") }, watch: false });
    expect(fs.existsSync(r.configFile)).toBe(false);
    expect((await r.http("POST", "/plugins/a/disable")).body.status).toBe("disabled");
    expect(fs.readFileSync(r.configFile, "utf8")).toBe("plugins:\n  a:\n    enabled: false\n");
  });

  it("enable of a plugin whose load fails is 409 {detail}, and the row shows failed with the error", async () => {
    const r = await start({
      plugins: { "zodded.ts": ZOD_PLUGIN("zodded") },
      config: `plugins:\n  zodded:\n    enabled: false\n    config: { url: 7 }\n`,
      watch: false,
    });
    const answer = await r.http("POST", "/plugins/zodded/enable");
    expect(answer.status).toBe(409);
    expect(answer.body.detail).toMatch(/^plugin "zodded" is enabled but did not load: invalid config: config\.url: /);
    expect((await r.http("GET", "/plugins/zodded")).body).toMatchObject({ status: "failed", error: expect.stringMatching(/config\.url/) });
    expect(fs.readFileSync(r.configFile, "utf8")).toContain("enabled: true");
  });

  it("enable/disable refuse (409) to rewrite a config.yaml that does not parse, and change nothing", async () => {
    const r = await start({ plugins: { "a.js": RAW_PLUGIN("a") }, watch: false });
    const broken = "plugins: [unclosed\n";
    fs.writeFileSync(r.configFile, broken);
    const answer = await r.http("POST", "/plugins/a/disable");
    expect(answer.status).toBe(409);
    expect(answer.body.detail).toMatch(/is not valid YAML, so enabled: was not written/);
    expect(row(r, "a")?.status).toBe("active");
    expect(fs.readFileSync(r.configFile, "utf8")).toBe(broken);
  });

  it("reload re-imports a drop-in and swaps it in; a version that does not load keeps the running one (409)", async () => {
    const version = (n: number) => `${RAW_PLUGIN("a").replace(`config: context.config ?? null`, `config: context.config ?? null, version: ${n}`)}`;
    const r = await start({ plugins: { "a.js": version(1) }, watch: false });
    writeFile(path.join(r.home, "plugins", "a.js"), version(2));
    const answer = await r.http("POST", "/plugins/a/reload");
    expect(answer).toMatchObject({ status: 200, body: { name: "a", status: "active", hooks: ["message_sent"] } });
    expect(r.record("a")).toEqual([{ at: "setup", config: null, version: 1 }, { at: "teardown" }, { at: "setup", config: null, version: 2 }]);
    writeFile(path.join(r.home, "plugins", "a.js"), "export default {{ syntax error");
    const bad = await r.http("POST", "/plugins/a/reload");
    expect(bad.status).toBe(409);
    expect(bad.body.detail).toMatch(/plugin "a" did not reload: import failed: .*\(the running version stays\)/s);
    expect(row(r, "a")?.status).toBe("active");
    expect(r.record("a")).toHaveLength(3);
  });

  it("the request gate applies: a cross-site Origin gets 403 and changes nothing", async () => {
    const r = await start({ plugins: { "a.js": RAW_PLUGIN("a") }, watch: false });
    for (const route of ["/plugins/a/disable", "/plugins/a/reload", "/plugins/a/enable", "/plugins/rescan"]) {
      const answer = await r.http("POST", route, { origin: "http://evil.example" });
      expect(answer.status, route).toBe(403);
      expect(answer.body.detail).toMatch(/cross-origin request refused/);
    }
    expect(row(r, "a")?.status).toBe("active");
    expect(r.record("a")).toHaveLength(1);
    expect(fs.existsSync(r.configFile)).toBe(false);
    // The server's own page may.
    const port = new URL(r.url).port;
    expect((await r.http("POST", "/plugins/a/disable", { origin: `http://localhost:${port}` })).status).toBe(200);
  });
});
