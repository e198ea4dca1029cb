/**
 * `cao fleet …` as users run it: real processes of dist/cli/main.js against a real `nats-server -js` and two real
 * `cao server` processes (hostA by CAO_FLEET_NATS_URL/CAO_FLEET_HOST, hostB by `fleet:` in config.yaml).
 */
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { freePort } from "./helpers/ports.js";
import { startNatsServer, stopNatsServers, type NatsServerProcess } from "./helpers/nats-server.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

const CAO = path.resolve("dist/cli/main.js");

function cao(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CAO, ...args],
      { env: { ...process.env, CAO_HOME: tempDir("cao-fleet-cli-home-"), ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("cao fleet against a NATS and two cao servers", () => {
  let nats: NatsServerProcess;
  let a: ServerProcess;
  let b: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    nats = await startNatsServer();
    const homeB = tempDir("cao-fleet-hostB-");
    writeFile(path.join(homeB, "config.yaml"), `fleet:\n  nats: ${nats.url}\n  host: hostB\n`);
    [a, b] = await Promise.all([
      startServerProcess({ env: { CAO_FLEET_NATS_URL: nats.url, CAO_FLEET_HOST: "hostA" } }),
      startServerProcess({ home: homeB }),
    ]);
    env = { CAO_FLEET_NATS_URL: nats.url };
    await waitFor(
      async () => (await cao(["fleet", "hosts", "--json"], env)).stdout.includes('"hostB"'),
      20_000,
      "both hosts in the registry",
    );
  }, 90_000);

  afterAll(async () => {
    await stopServerProcesses();
    await stopNatsServers();
    removeTempDirs();
  });

  it("prints its help, and is listed in cao --help", async () => {
    const help = await cao(["fleet", "--help"]);
    expect(help.code).toBe(0);
    for (const sub of ["hosts", "sessions", "events", "launch", "--follow", "--json"])
      expect(help.stdout).toContain(sub);
    expect((await cao(["--help"])).stdout).toContain("fleet");
    const bad = await cao(["fleet", "nope"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown subcommand "nope"');
    const missing = await cao(["fleet", "launch", "--host", "hostA"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--provider");
  });

  it("hosts: a table of host, version, sessions and last seen, and --json", async () => {
    const table = await cao(["fleet", "hosts"], env);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^HOST\s+VERSION\s+SESSIONS\s+LAST SEEN$/);
    expect(lines[1]).toMatch(/^hostA\s+0\.1\.0\s+0\s+\d{4}-\d\d-\d\dT\S+ \(\d+s ago\)$/);
    expect(lines[2]).toMatch(/^hostB\s+0\.1\.0\s+0\s+/);
    const json = JSON.parse((await cao(["fleet", "hosts", "--json"], env)).stdout) as { host: string }[];
    expect(json.map((h) => h.host)).toEqual(["hostA", "hostB"]);
  });

  it("launch creates a session on the named host; sessions lists every host's; events shows it as a CloudEvent", async () => {
    // Follow from now, in the background, before the launch.
    const follower = spawn(process.execPath, [CAO, "fleet", "events", "-f", "--json", "--type", "session_created"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let followed = "";
    follower.stdout!.on("data", (chunk: Buffer) => (followed += chunk.toString("utf8")));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the consumer is made before any event comes

    const launched = await cao(
      [
        "fleet",
        "launch",
        "--host",
        "hostB",
        "--provider",
        "mock",
        "--agent-profile",
        "developer",
        "--session-name",
        "cli-b",
        "--working-directory",
        tempDir("cao-fleet-wd-"),
      ],
      env,
    );
    expect(launched.stderr).toBe("");
    expect(launched.code).toBe(0);
    expect(launched.stdout).toMatch(/^launched on hostB: session cao-cli-b, terminal \S+ \(/);
    // It is B's session, not A's.
    expect((await b.client.listSessions()).map((s) => s.name)).toEqual(["cao-cli-b"]);
    expect(await a.client.listSessions()).toEqual([]);

    const sessions = await cao(["fleet", "sessions"], env);
    expect(sessions.code).toBe(0);
    expect(sessions.stdout).toMatch(/^HOST\s+SESSION\s+ID\s+STATUS\nhostB\s+cao-cli-b\s+\S+\s+active\n$/);
    const json = JSON.parse((await cao(["fleet", "sessions", "--json"], env)).stdout) as {
      host: string;
      name: string;
    }[];
    expect(json.map((s) => [s.host, s.name])).toEqual([["hostB", "cao-cli-b"]]);

    await waitFor(() => followed.includes("cao-cli-b"), 15_000, "the followed session_created");
    follower.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => follower.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    const event = JSON.parse(followed.trim().split("\n")[0]!) as { source: string; type: string; specversion: string };
    expect(event).toMatchObject({ specversion: "1.0", source: "cao://hostB", type: "cao.session_created" });

    const recent = await cao(["fleet", "events", "--host", "hostB"], env);
    expect(recent.code).toBe(0);
    expect(recent.stdout).toMatch(/^hostB #\d+ \S+ session_created cao-cli-b/m);
    expect(recent.stdout).not.toMatch(/^hostA /m);
    const limited = await cao(["fleet", "events", "--json", "--limit", "1"], env);
    expect(limited.stdout.trim().split("\n")).toHaveLength(1);
  }, 60_000);

  it("a failed command exits 1 with the host's status and detail", async () => {
    const unknownProfile = await cao(
      ["fleet", "launch", "--host", "hostA", "--provider", "mock", "--agent-profile", "no-such-profile"],
      env,
    );
    expect(unknownProfile.code).toBe(1);
    expect(unknownProfile.stderr).toMatch(/create_session on hostA failed: 4\d\d .*no-such-profile/);
    const noHost = await cao(
      ["fleet", "launch", "--host", "hostZ", "--provider", "mock", "--agent-profile", "developer"],
      env,
    );
    expect(noHost.code).toBe(1);
    expect(noHost.stderr).toContain('create_session on hostZ failed: 404 no host "hostZ" in the fleet answers');
    expect(noHost.stderr).toContain("hostA, hostB");
  }, 30_000);

  it("exits 1 with a clear reason when NATS is unreachable or no fleet is configured", async () => {
    const port = await freePort();
    for (const sub of ["hosts", "sessions", "events"]) {
      const down = await cao(["fleet", sub], { CAO_FLEET_NATS_URL: `nats://127.0.0.1:${port}` });
      expect(down.code).toBe(1);
      expect(down.stderr).toContain(`cao fleet: cannot reach the fleet's NATS at nats://127.0.0.1:${port}`);
      expect(down.stdout).toBe("");
    }
    const none = await cao(["fleet", "hosts"], { CAO_FLEET_NATS_URL: "" });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no fleet is configured");
  }, 60_000);
});
