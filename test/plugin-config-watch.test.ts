/**
 * DESIGN §13, config.yaml edited while the server runs (real file events through chokidar): a changed section
 * restarts that plugin only, CAO_CONFIG names the file, an invalid section fails the plugin until fixed, a broken file
 * keeps the running state, and `enabled: false` keeps a drop-in from being imported, at start and on hot reload.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RAW_PLUGIN, ZOD_PLUGIN } from "./helpers/config-plugins.js";
import { startConfigServer, stopConfigServers } from "./helpers/config-server.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { variantOf } from "./helpers/plugin-fixtures.js";
import { waitFor } from "./helpers/wait.js";

afterEach(async () => {
  await stopConfigServers();
  removeTempDirs();
});

describe("config.yaml while the server runs (real file events)", () => {
  it("editing one plugin's section restarts that plugin only, with the new config", async () => {
    const r = await startConfigServer({
      plugins: { "a.js": RAW_PLUGIN, "b.js": RAW_PLUGIN },
      config: `# my settings\nplugins:\n  a:\n    config: { level: 1 }\n  b:\n    config: { level: 1 }\n`,
    });
    fs.writeFileSync(
      r.configFile,
      `# my settings\nplugins:\n  a:\n    config: { level: 2 }\n  b:\n    config: { level: 1 }\n`,
    );
    await waitFor(() => r.record("a").length === 3, 10_000, "plugin a to be restarted");
    expect(r.record("a")).toEqual([
      { at: "setup", config: { level: 1 } },
      { at: "teardown" },
      { at: "setup", config: { level: 2 } },
    ]);
    expect(r.record("b")).toEqual([{ at: "setup", config: { level: 1 } }]);
    expect(r.row("a")?.status).toBe("active");
    // Saving the same content again (an editor's touch) changes no section: nothing restarts.
    fs.writeFileSync(r.configFile, fs.readFileSync(r.configFile, "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.record("a")).toHaveLength(3);
    expect(r.record("b")).toHaveLength(1);
  });

  it("CAO_CONFIG names the file; an isolation change restarts the plugin and GET /plugins/:name shows it", async () => {
    const elsewhere = path.join(tempDir("cao-config-file-"), "settings", "cao.yaml");
    writeFile(elsewhere, `plugins:\n  a:\n    config: { level: 1 }\n`);
    const r = await startConfigServer({
      plugins: { "a.js": RAW_PLUGIN },
      env: { CAO_CONFIG: elsewhere },
      config: `plugins:\n  a:\n    config: { level: 99 }\n`,
    });
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
    const r = await startConfigServer({
      plugins: { "zodded.ts": ZOD_PLUGIN },
      config: `plugins:\n  zodded:\n    config: { url: "http://ok.example" }\n`,
    });
    fs.writeFileSync(r.configFile, `plugins:\n  zodded:\n    config: { url: "not a url" }\n`);
    await waitFor(() => r.row("zodded")?.status === "failed", 10_000, "zodded to fail");
    expect(r.row("zodded")?.error).toMatch(/invalid config: config\.url: /);
    expect(r.record("zodded").map((e) => e.at)).toEqual(["setup", "teardown"]);
    fs.writeFileSync(r.configFile, `plugins:\n  zodded:\n    config: { url: "http://again.example" }\n`);
    await waitFor(() => r.row("zodded")?.status === "active", 10_000, "zodded to load again");
    expect(r.record("zodded").at(-1)).toEqual({
      at: "setup",
      config: { url: "http://again.example", events: ["message_sent"] },
      same: true,
    });
  });

  it("a broken file (bad YAML, then a wrong shape) keeps the running state, with a WARN", async () => {
    const r = await startConfigServer({
      plugins: { "a.js": RAW_PLUGIN },
      config: `plugins:\n  a:\n    config: { level: 1 }\n`,
    });
    fs.writeFileSync(r.configFile, `plugins:\n  a:\n    config: { level: 2\n`); // unclosed flow mapping
    await waitFor(
      () =>
        r.logs.warnings().some((l) => l.msg.includes("keeping the running state") && l.msg.includes("not valid YAML")),
      10_000,
      "the WARN",
    );
    fs.writeFileSync(r.configFile, `plugins:\n  a:\n    enable: false\n`); // misspelt key
    await waitFor(
      () => r.logs.warnings().some((l) => l.msg.includes("plugins.a.enable is not a setting")),
      10_000,
      "the shape WARN",
    );
    expect(r.row("a")?.status).toBe("active");
    expect(r.record("a")).toEqual([{ at: "setup", config: { level: 1 } }]);
    expect((await r.http("GET", "/plugins/a")).body.config).toEqual({ level: 1 });
  });

  it("enabled: false lists the plugin as disabled and never imports it; flipping it in the file loads it", async () => {
    const marker = (home: string) => path.join(home, "imported");
    const home = tempDir("cao-config-");
    const source = `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker(home))}, "yes");\n${RAW_PLUGIN}`;
    const r = await startConfigServer({
      home,
      plugins: { "off.js": source },
      config: `plugins:\n  off:\n    enabled: false\n`,
    });
    expect(r.row("off")).toMatchObject({ status: "disabled", hooks: [] });
    expect(fs.existsSync(marker(home))).toBe(false);
    fs.writeFileSync(r.configFile, `plugins:\n  off:\n    enabled: true\n    config: { on: yes }\n`);
    await waitFor(() => r.row("off")?.status === "active", 10_000, "off to load");
    expect(r.record("off")).toEqual([{ at: "setup", config: { on: "yes" } }]);
  });
});

describe("enabled: false and hot reload", () => {
  it("a disabled drop-in edited or added while the server runs is listed disabled and never imported", async () => {
    const home = tempDir("cao-config-");
    const marker = path.join(home, "imported");
    const source = (n: number) =>
      `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "v${n}");\n${RAW_PLUGIN}`;
    const r = await startConfigServer({
      home,
      plugins: { "off.js": source(1), "on.js": RAW_PLUGIN },
      config: `plugins:\n  off: { enabled: false }\n  late: { enabled: false }\n`,
    });
    writeFile(path.join(home, "plugins", "off.js"), source(2));
    writeFile(path.join(home, "plugins", "late.js"), source(3));
    writeFile(
      path.join(home, "plugins", "on.js"),
      variantOf(RAW_PLUGIN, "config: context.config ?? null", "config: 2"),
    );
    await waitFor(() => r.record("on").length === 3, 10_000, "the enabled drop-in to reload");
    await waitFor(() => r.row("late")?.status === "disabled", 10_000, "late to be listed");
    expect(r.row("off")?.status).toBe("disabled");
    expect(fs.existsSync(marker)).toBe(false);
  });
});
