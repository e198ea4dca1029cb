/**
 * Joining a fleet (docs/fleet.md): NATS credentials right and wrong, NATS down when the server starts, a fleet
 * setting that is wrong, and a server outside any fleet loading none of it. Real `nats-server` children on loopback
 * ports of their own, real `cao server` children with their own homes, ports and tmux servers.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FleetClient, FleetUnreachableError } from "../src/fleet/client.js";
import { natsConnect, storedEvents } from "./helpers/fleet.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startNatsServer, stopNatsServers } from "./helpers/nats-server.js";
import { freePort } from "./helpers/ports.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

afterAll(async () => {
  await stopServerProcesses();
  await stopNatsServers();
  removeTempDirs();
});

function homeWith(config: string): string {
  const home = tempDir("cao-fleet-join-");
  writeFile(path.join(home, "config.yaml"), config);
  return home;
}

const fleetLines = (server: ServerProcess) =>
  server.lines().filter((line) => typeof line.msg === "string" && line.msg.startsWith("fleet:"));

const createSession = (server: ServerProcess, name: string) =>
  server.http("POST", "/sessions", { provider: "mock", agent_profile: "developer", session_name: name });

describe("joining a fleet", () => {
  it("wrong credentials: one clear ERROR line at start, no more while it retries, and the local server serves", async () => {
    const nats = await startNatsServer({ args: ["--user", "cao", "--pass", "right-secret"] });
    const server = await startServerProcess({
      home: homeWith(`fleet:\n  nats: ${nats.url}\n  host: wrong\n  user: cao\n  password: not-the-secret\n`),
    });
    await waitFor(() => fleetLines(server).length > 0, 10_000, "a fleet line");
    // The member retries (250 ms, doubling up to 5 s): a few tries pass in 3 s, and none of them logs again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const lines = fleetLines(server);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(50);
    expect(lines[0]!.msg).toContain(`NATS at ${nats.url} refused this server's credentials (Authorization Violation)`);
    expect(lines[0]!.msg).toContain("this server serves locally");
    expect(nats.output()).toContain("authentication error");
    expect(await server.health()).toEqual({ status: "ok", service: "cli-agent-orchestrator" });
    expect((await createSession(server, "local")).status).toBe(201);
    // A client with the wrong password is told so at once.
    await expect(FleetClient.connect({ servers: [nats.url], user: "cao", password: "nope" })).rejects.toThrow(
      FleetUnreachableError,
    );
  }, 60_000);

  it("right credentials: user/password with the password from ${VAR}, and a token", async () => {
    const withUser = await startNatsServer({ args: ["--user", "cao", "--pass", "right-secret"] });
    const withToken = await startNatsServer({ args: ["--auth", "s3cret-token"] });
    const [one, two] = await Promise.all([
      startServerProcess({
        home: homeWith(
          `fleet:\n  nats: ${withUser.url}\n  host: by-user\n  user: cao\n  password: \${CAO_TEST_NATS_PASSWORD}\n`,
        ),
        env: { CAO_TEST_NATS_PASSWORD: "right-secret" },
      }),
      startServerProcess({
        home: homeWith(`fleet:\n  nats: ${withToken.url}\n  host: by-token\n  token: s3cret-token\n`),
      }),
    ]);
    const userClient = await FleetClient.connect({ servers: [withUser.url], user: "cao", password: "right-secret" });
    const tokenClient = await FleetClient.connect({ servers: [withToken.url], token: "s3cret-token" });
    try {
      await waitFor(async () => (await userClient.hosts()).length === 1, 10_000, "the member by user");
      await waitFor(async () => (await tokenClient.hosts()).length === 1, 10_000, "the member by token");
      expect((await userClient.hosts())[0]!.host).toBe("by-user");
      expect((await tokenClient.hosts())[0]!.host).toBe("by-token");
      expect(await tokenClient.request("by-token", "list_sessions", {})).toEqual([]);
    } finally {
      await userClient.close();
      await tokenClient.close();
    }
    for (const server of [one, two]) expect(server.warnings()).toEqual([]);
  }, 60_000);

  it("NATS down when the server starts: one WARN, the server serves, and once NATS is up what happened meanwhile is published", async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const server = await startServerProcess({ env: { CAO_FLEET_NATS_URL: url, CAO_FLEET_HOST: "late" } });
    expect((await createSession(server, "early")).status).toBe(201);
    await waitFor(() => fleetLines(server).length > 0, 10_000, "a fleet line");
    const [line] = fleetLines(server);
    expect(line!.level).toBe(40);
    expect(line!.msg).toContain(`cannot reach NATS at ${url} (connection refused)`);

    await startNatsServer({ port });
    const nc = await natsConnect(url);
    try {
      await waitFor(
        async () => (await storedEvents(nc, "late")).some((e) => e.event.type === "cao.session_created"),
        20_000,
        "the early session's events in the stream",
      );
      const stored = await storedEvents(nc, "late");
      expect(stored.map((e) => e.event.data.seq)).toEqual(stored.map((_, i) => i + 1));
      expect(stored.find((e) => e.event.type === "cao.session_created")!.event.subject).toBe("cao-early");
    } finally {
      await nc.close();
    }
    expect(fleetLines(server).filter((l) => l.level >= 40)).toHaveLength(1);
  }, 60_000);

  it("NATS frozen (SIGSTOP): requests answer as before, a clean shutdown is not held up, and after SIGCONT the events arrive", async () => {
    const nats = await startNatsServer();
    const [server, other] = await Promise.all([
      startServerProcess({ env: { CAO_FLEET_NATS_URL: nats.url, CAO_FLEET_HOST: "frozen" } }),
      startServerProcess({ env: { CAO_FLEET_NATS_URL: nats.url, CAO_FLEET_HOST: "leaving" } }),
    ]);
    await waitFor(() => fleetLines(server).length > 0 && fleetLines(other).length > 0, 10_000, "both to join");
    nats.child.kill("SIGSTOP");
    try {
      expect((await createSession(server, "cold")).status).toBe(201);
      expect((await server.http("GET", "/sessions")).body).toEqual([
        { id: "cao-cold", name: "cao-cold", status: "active" },
      ]);
      // Leaving waits for NATS a few seconds at most.
      expect(await other.stop("SIGTERM", 15_000)).toBe(0);
    } finally {
      nats.child.kill("SIGCONT");
    }
    const nc = await natsConnect(nats.url);
    try {
      await waitFor(
        async () => (await storedEvents(nc, "frozen")).some((e) => e.event.subject === "cao-cold"),
        30_000,
        "the cold session's events",
      );
    } finally {
      await nc.close();
    }
  }, 90_000);

  it("a fleet setting that is wrong: one ERROR line naming it, and the server serves without the fleet", async () => {
    const server = await startServerProcess({
      home: homeWith(`fleet:\n  nats: nats://127.0.0.1:1\n  host: my.laptop\n`),
    });
    const lines = fleetLines(server);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(50);
    expect(lines[0]!.msg).toContain(`fleet.host "my.laptop" is not a host name for the fleet`);
    expect((await createSession(server, "alone")).status).toBe(201);
  }, 30_000);
});

describe("start-up cost", () => {
  /** NODE_OPTIONS for a child that appends every module URL it resolves to `log`. */
  function resolveLogger(): { log: string; env: Record<string, string> } {
    const dir = tempDir("cao-fleet-resolve-");
    const log = path.join(dir, "resolved.txt");
    const hooks = writeFile(
      path.join(dir, "hooks.mjs"),
      `import fs from "node:fs";
       let log;
       export function initialize(data) { log = data.log; }
       export async function resolve(specifier, context, next) {
         const result = await next(specifier, context);
         fs.appendFileSync(log, result.url + "\\n");
         return result;
       }`,
    );
    const register = writeFile(
      path.join(dir, "register.mjs"),
      `import { register } from "node:module";
       register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { log: ${JSON.stringify(log)} } });`,
    );
    return { log, env: { NODE_OPTIONS: `--import ${pathToFileURL(register).href}` } };
  }
  const resolved = (log: string) => fs.readFileSync(log, "utf8").split("\n").filter(Boolean);

  it("a server in no fleet loads no NATS package and no fleet module but the settings reader", async () => {
    const { log, env } = resolveLogger();
    const server = await startServerProcess({ env });
    expect((await createSession(server, "plain")).status).toBe(201);
    const urls = resolved(log);
    expect(urls.some((u) => u.includes("/dist/server.js"))).toBe(true);
    expect(urls.filter((u) => u.includes("/@nats-io/"))).toEqual([]);
    expect(urls.filter((u) => u.includes("/dist/fleet/")).map((u) => path.basename(u))).toEqual(["settings.js"]);
  }, 30_000);

  it("the control: a member does load them", async () => {
    const nats = await startNatsServer();
    const { log, env } = resolveLogger();
    const server = await startServerProcess({ env: { ...env, CAO_FLEET_NATS_URL: nats.url, CAO_FLEET_HOST: "ctl" } });
    await waitFor(() => fleetLines(server).length > 0, 10_000, "the member to join");
    const urls = resolved(log);
    expect(urls.some((u) => u.includes("/@nats-io/transport-node/"))).toBe(true);
    expect(urls.some((u) => u.includes("/dist/fleet/member.js"))).toBe(true);
  }, 30_000);
});
