/**
 * POST /plugins/rescan and POST /plugins/:name/reload for npm plugins, against a real `cao server` child process
 * (dist/): packages appear in and vanish from a temp CAO_HOME's node_modules, and a package's code changes on disk.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { removeTempDirs, tempDir, writePackage } from "./helpers/fs-fixtures.js";
import { startServerProcess, stopServerProcesses } from "./helpers/server-process.js";

afterEach(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

/** An ESM package whose entry imports a helper of its own: a reload must re-evaluate both. */
function writeEsmPlugin(nodeModules: string, name: string, version: number): string {
  return writePackage(
    nodeModules,
    name,
    { type: "module", main: "index.js", keywords: ["cao-plugin"], version: `1.0.${version}` },
    {
      "index.js": `
import fs from "node:fs";
import path from "node:path";
import { VERSION } from "./lib/version.js";
export default {
  hooks: { message_sent() {} },
  setup(context) {
    this.home = context.caoHome;
    fs.appendFileSync(path.join(context.caoHome, ${JSON.stringify(`${name.replace("/", "__")}.log`)}), "setup " + VERSION + "\\n");
  },
  teardown() {
    fs.appendFileSync(path.join(this.home, ${JSON.stringify(`${name.replace("/", "__")}.log`)}), "teardown\\n");
  },
};
`,
      "lib/version.js": `export const VERSION = ${version};\n`,
    },
  );
}

function log(home: string, name: string): string[] {
  const file = path.join(home, `${name.replace("/", "__")}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [];
}

it("rescan loads a package installed into $CAO_HOME/node_modules after start, and unloads one removed", async () => {
  const home = tempDir("cao-npm-mgmt-");
  const nodeModules = path.join(home, "node_modules");
  const early = writeEsmPlugin(nodeModules, "cao-plugin-early", 1);
  const server = await startServerProcess({ home });
  const names = async () =>
    ((await server.http("GET", "/plugins")).body as Array<{ name: string; status: string }>).map(
      (p) => `${p.name}:${p.status}`,
    );
  expect(await names()).toContain("cao-plugin-early:active");

  writeEsmPlugin(nodeModules, "@acme/cao-plugin-late", 1);
  expect(await names()).not.toContain("@acme/cao-plugin-late:active"); // nothing watches node_modules: rescan is the way
  const rescanned = await server.http("POST", "/plugins/rescan");
  expect(rescanned.status).toBe(200);
  expect(rescanned.body.map((p: { name: string; status: string }) => `${p.name}:${p.status}`)).toEqual(
    expect.arrayContaining(["cao-plugin-early:active", "@acme/cao-plugin-late:active"]),
  );
  expect(log(home, "@acme/cao-plugin-late")).toEqual(["setup 1"]);
  // A scoped name goes URL-encoded in the path.
  const info = await server.http("GET", `/plugins/${encodeURIComponent("@acme/cao-plugin-late")}`);
  expect(info).toMatchObject({
    status: 200,
    body: {
      name: "@acme/cao-plugin-late",
      source: "npm",
      version: "1.0.1",
      status: "active",
      isolation: "inline",
      config: null,
    },
  });

  fs.rmSync(early, { recursive: true });
  const after = await server.http("POST", "/plugins/rescan");
  expect(after.body.map((p: { name: string }) => p.name)).not.toContain("cao-plugin-early");
  expect(log(home, "cao-plugin-early")).toEqual(["setup 1", "teardown"]);
  expect((await server.http("GET", "/plugins/cao-plugin-early")).status).toBe(404);
  expect(server.warnings()).toEqual([]);
});

it("reload of an npm plugin imports the changed code afresh (its own helper modules too)", async () => {
  const home = tempDir("cao-npm-mgmt-");
  const nodeModules = path.join(home, "node_modules");
  writeEsmPlugin(nodeModules, "cao-plugin-live", 1);
  const server = await startServerProcess({ home });
  expect(log(home, "cao-plugin-live")).toEqual(["setup 1"]);

  for (const version of [2, 3]) {
    fs.writeFileSync(
      path.join(nodeModules, "cao-plugin-live", "lib", "version.js"),
      `export const VERSION = ${version};\n`,
    );
    const answer = await server.http("POST", "/plugins/cao-plugin-live/reload");
    expect(answer).toMatchObject({
      status: 200,
      body: { name: "cao-plugin-live", status: "active", hooks: ["message_sent"] },
    });
  }
  expect(log(home, "cao-plugin-live")).toEqual(["setup 1", "teardown", "setup 2", "teardown", "setup 3"]);

  // A version that throws at import keeps the running one: 409 {detail}.
  fs.writeFileSync(
    path.join(nodeModules, "cao-plugin-live", "lib", "version.js"),
    `export const VERSION = (() => { throw new Error("broken build"); })();\n`,
  );
  const broken = await server.http("POST", "/plugins/cao-plugin-live/reload");
  expect(broken.status).toBe(409);
  expect(broken.body.detail).toMatch(/did not reload: import failed: broken build \(the running version stays\)/);
  expect((await server.http("GET", "/plugins/cao-plugin-live")).body.status).toBe("active");
  expect(log(home, "cao-plugin-live")).toHaveLength(5);
});

it("rescan reloads a package whose version changed on disk (an upgrade installed in place)", async () => {
  const home = tempDir("cao-npm-mgmt-");
  const nodeModules = path.join(home, "node_modules");
  writeEsmPlugin(nodeModules, "cao-plugin-up", 1);
  const server = await startServerProcess({ home });
  writeEsmPlugin(nodeModules, "cao-plugin-up", 2);
  const rescanned = await server.http("POST", "/plugins/rescan");
  expect(rescanned.body.find((p: { name: string }) => p.name === "cao-plugin-up")).toMatchObject({
    version: "1.0.2",
    status: "active",
  });
  expect(log(home, "cao-plugin-up")).toEqual(["setup 1", "teardown", "setup 2"]);
});
