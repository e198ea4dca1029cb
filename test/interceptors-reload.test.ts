/**
 * Interceptors hot-reload like hooks: a drop-in's interceptors start when the file appears, the new version's replace
 * the old one's when it changes, and they stop when it is deleted. Real chokidar, real jiti, real server and tmux.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

let t: TestServer;
let agent = "";

const gate = (reason: string) =>
  `export default { intercepts: { pre_send_message: (op) => op.message.includes("HOT") ? { decision: "deny", reason: ${JSON.stringify(reason)} } : undefined } };\n`;

beforeAll(async () => {
  t = await startTestServer({ server: { watch: true } });
  agent = (await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "reload" })).id;
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

const send = () => t.http("POST", `/terminals/${agent}/input`, { body: { message: "HOT stuff" } });

describe("hot reload of an interceptor", () => {
  it("add → deny; change → the new version decides; delete → allowed again", async () => {
    expect((await send()).status).toBe(200);
    const file = path.join(t.home, "plugins", "gate.mjs");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, gate("version one"));
    await waitFor(async () => (await send()).status === 403, 10_000, "the new interceptor to deny");
    expect((await send()).body).toEqual({ detail: "denied by plugin gate: version one" });
    expect(
      ((await t.http("GET", "/plugins")).body as { name: string; hooks: string[] }[]).find((p) => p.name === "gate")!
        .hooks,
    ).toEqual(["pre_send_message"]);

    fs.writeFileSync(file, gate("version two"));
    await waitFor(
      async () => (await send()).body?.detail === "denied by plugin gate: version two",
      10_000,
      "the reloaded interceptor",
    );

    fs.rmSync(file);
    await waitFor(async () => (await send()).status === 200, 10_000, "the deleted interceptor to stop");
    expect(t.server.registry.intercepts("pre_send_message")).toBe(false);
  });

  it("a disabled plugin's interceptors stop; enabled again, they decide again", async () => {
    const file = path.join(t.home, "plugins", "gate.mjs");
    fs.writeFileSync(file, gate("switchable"));
    await waitFor(async () => (await send()).status === 403, 10_000, "the interceptor to deny");
    expect((await t.http("POST", "/plugins/gate/disable")).body).toMatchObject({
      name: "gate",
      status: "disabled",
      hooks: [],
    });
    expect((await send()).status).toBe(200);
    expect((await t.http("POST", "/plugins/gate/enable")).body).toMatchObject({
      status: "active",
      hooks: ["pre_send_message"],
    });
    expect((await send()).body).toEqual({ detail: "denied by plugin gate: switchable" });
  });
});
