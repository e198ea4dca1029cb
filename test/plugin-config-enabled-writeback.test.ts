/**
 * DESIGN §13, enable/disable persisted into config.yaml through the real routes of a real listening server: comments
 * and other keys kept, a symlinked file kept a symlink with its permissions, a missing file created, a plugin that
 * fails to load on enable (409), and a file that does not parse left alone (409). The file decides after a restart.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RAW_PLUGIN, ZOD_PLUGIN } from "./helpers/config-plugins.js";
import { COMMENTED_CONFIG, startConfigServer, stopConfigServers } from "./helpers/config-server.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { waitFor } from "./helpers/wait.js";

afterEach(async () => {
  await stopConfigServers();
  removeTempDirs();
});

describe("enabled: written back into config.yaml by POST /plugins/:name/enable | disable", () => {
  it("disable then enable: persisted into config.yaml with comments and other keys kept; teardown, then setup again", async () => {
    const r = await startConfigServer({ plugins: { "a.js": RAW_PLUGIN }, config: COMMENTED_CONFIG, watch: true });
    const off = await r.http("POST", "/plugins/a/disable");
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ name: "a", status: "disabled" });
    expect(r.record("a").map((e) => e.at)).toEqual(["setup", "teardown"]);
    const written = fs.readFileSync(r.configFile, "utf8");
    // Comments and keys stay where they were (yaml normalises the spaces before an end-of-line comment to one).
    for (const kept of [
      "# CAO settings, edited by hand\nserver_note: keep me # a key CAO does not use\nplugins:\n  # the one that talks to Slack\n  a:",
      "level: 1 # verbose",
    ]) {
      expect(written).toContain(kept);
    }
    expect(written).toMatch(/ {4}enabled: false/);
    const on = await r.http("POST", "/plugins/a/enable");
    expect(on).toMatchObject({ status: 200, body: { name: "a", status: "active" } });
    expect(fs.readFileSync(r.configFile, "utf8")).toBe(written.replace("enabled: false", "enabled: true"));
    // The watcher saw our own writes: they changed no section, so nothing restarted on top of the REST calls.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.record("a")).toEqual([
      { at: "setup", config: { level: 1 } },
      { at: "teardown" },
      { at: "setup", config: { level: 1 } },
    ]);
    // After a restart the file decides: still enabled, and a disabled one stays disabled.
    await r.http("POST", "/plugins/a/disable");
    await r.server.close();
    const again = await startConfigServer({ home: r.home, watch: false });
    expect(again.row("a")?.status).toBe("disabled");
  });

  it("a config.yaml that is a symlink stays one, and keeps its permissions", async () => {
    const dotfiles = tempDir("cao-dotfiles-");
    const real = writeFile(path.join(dotfiles, "cao.yaml"), `# from my dotfiles\nplugins: {}\n`);
    fs.chmodSync(real, 0o600);
    const home = tempDir("cao-config-");
    fs.symlinkSync(real, path.join(home, "config.yaml"));
    const r = await startConfigServer({ home, plugins: { "a.js": RAW_PLUGIN }, watch: false });
    expect((await r.http("POST", "/plugins/a/disable")).status).toBe(200);
    expect(fs.lstatSync(r.configFile).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, "utf8")).toBe(`# from my dotfiles\nplugins: { a: { enabled: false } }\n`);
    expect(fs.statSync(real).mode & 0o777).toBe(0o600);
    await r.server.close();
    // Edited at its target while a server runs: the watcher sees it through the link.
    const watching = await startConfigServer({ home, watch: true });
    expect(watching.row("a")?.status).toBe("disabled");
    fs.writeFileSync(real, `plugins: { a: { enabled: true } }\n`);
    await waitFor(() => watching.row("a")?.status === "active", 10_000, "a to be enabled through the link");
  });

  it("disable creates config.yaml when there is none", async () => {
    const r = await startConfigServer({ plugins: { "a.js": RAW_PLUGIN }, watch: false });
    expect(fs.existsSync(r.configFile)).toBe(false);
    expect((await r.http("POST", "/plugins/a/disable")).body.status).toBe("disabled");
    expect(fs.readFileSync(r.configFile, "utf8")).toBe("plugins:\n  a:\n    enabled: false\n");
  });

  it("enable of a plugin whose load fails is 409 {detail}, and the row shows failed with the error", async () => {
    const r = await startConfigServer({
      plugins: { "zodded.ts": ZOD_PLUGIN },
      config: `plugins:\n  zodded:\n    enabled: false\n    config: { url: 7 }\n`,
      watch: false,
    });
    const answer = await r.http("POST", "/plugins/zodded/enable");
    expect(answer.status).toBe(409);
    expect(answer.body.detail).toMatch(/^plugin "zodded" is enabled but did not load: invalid config: config\.url: /);
    expect((await r.http("GET", "/plugins/zodded")).body).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/config\.url/),
    });
    expect(fs.readFileSync(r.configFile, "utf8")).toContain("enabled: true");
  });

  it("enable/disable refuse (409) to rewrite a config.yaml that does not parse, and change nothing", async () => {
    const r = await startConfigServer({ plugins: { "a.js": RAW_PLUGIN }, watch: false });
    const broken = "plugins: [unclosed\n";
    fs.writeFileSync(r.configFile, broken);
    const answer = await r.http("POST", "/plugins/a/disable");
    expect(answer.status).toBe(409);
    expect(answer.body.detail).toMatch(/is not valid YAML, so enabled: was not written/);
    expect(r.row("a")?.status).toBe("active");
    expect(fs.readFileSync(r.configFile, "utf8")).toBe(broken);
  });
});
