/**
 * The fleet end to end (docs/fleet.md): a real `nats-server -js` on a loopback port of its own with its own store
 * directory, and three real `cao server` processes (hostA, hostB, hostC) with their own homes, ports and tmux
 * servers, joined through it: hostA by CAO_FLEET_NATS_URL/CAO_FLEET_HOST, hostB and hostC by `fleet:` in config.yaml;
 * hostC has a drop-in that denies sessions named "forbidden…". The client API (src/fleet/client.ts) plays the CLI.
 */
import path from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetClient, FleetCommandError } from "../src/fleet/client.js";
import { journalSeqs, natsConnect, storedEvents } from "./helpers/fleet.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startNatsServer, stopNatsServers, type NatsServerProcess } from "./helpers/nats-server.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

const GUARD = `export default {
  intercepts: {
    pre_create_session(op) {
      if (op.sessionName.includes("forbidden")) return { decision: "deny", reason: "no forbidden sessions here" };
    },
  },
};
`;

/** A home whose config.yaml puts the server in the fleet. */
function fleetHome(nats: string, host: string): string {
  const home = tempDir(`cao-fleet-${host}-`);
  writeFile(path.join(home, "config.yaml"), `# a fleet member\nfleet:\n  nats: ${nats}\n  host: ${host}\n`);
  return home;
}

describe("a fleet of three cao servers over NATS JetStream", () => {
  let nats: NatsServerProcess;
  let a: ServerProcess;
  let b: ServerProcess;
  let c: ServerProcess;
  let client: FleetClient;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNatsServer();
    [a, b, c] = await Promise.all([
      startServerProcess({ env: { CAO_FLEET_NATS_URL: nats.url, CAO_FLEET_HOST: "hostA" } }),
      startServerProcess({ home: fleetHome(nats.url, "hostB") }),
      startServerProcess({ home: fleetHome(nats.url, "hostC"), plugins: { "guard.mjs": GUARD } }),
    ]);
    client = await FleetClient.connect({ servers: [nats.url] });
    nc = await natsConnect(nats.url);
  }, 60_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await stopServerProcesses();
    await stopNatsServers();
    removeTempDirs();
  });

  const hostNames = async () => (await client.hosts()).map((h) => h.host);

  it("the registry (KV bucket CAO_HOSTS) shows the three hosts with their version, providers and sessions", async () => {
    await waitFor(async () => (await hostNames()).join() === "hostA,hostB,hostC", 15_000, "three hosts");
    const hosts = await client.hosts();
    for (const host of hosts) {
      expect(host.version).toBe("0.1.0");
      expect(host.providers).toContain("mock");
      expect(host.sessions).toBe(0);
      expect(Date.parse(host.started_at)).toBeLessThanOrEqual(Date.parse(host.last_seen));
    }
    for (const server of [a, b, c]) {
      expect(server.output()).toMatch(/joined the fleet at NATS 127\.0\.0\.1:\d+ as host host[ABC]/);
      expect(server.warnings()).toEqual([]);
    }
  });

  it("a command through the client API creates a session on hostB: the route's 201 Terminal, and B's REST and record show it", async () => {
    const terminal = await client.request("hostB", "create_session", {
      provider: "mock",
      agent_profile: "developer",
      session_name: "from-a",
    });
    expect(terminal).toMatchObject({ session_name: "cao-from-a", provider: "mock", agent_profile: "developer" });
    expect(terminal.id).toMatch(/^[0-9a-f]{8}$/);
    const local = await b.http("GET", "/sessions");
    expect(local.body).toEqual([{ id: "cao-from-a", name: "cao-from-a", status: "active" }]);
    expect(await client.request("hostB", "list_sessions", {})).toEqual(local.body);
    expect((await a.http("GET", "/sessions")).body).toEqual([]);
    await waitFor(
      async () => (await client.hosts()).find((h) => h.host === "hostB")?.sessions === 1,
      10_000,
      "hostB's record to count its session",
    );
    expect(await client.request("hostB", "send_input", { terminal_id: terminal.id, message: "hello" })).toEqual({
      success: true,
    });
    const accepted = await client.request("hostB", "send_message", {
      receiver_id: terminal.id,
      sender_id: "0000beef",
      message: "a note",
    });
    expect(accepted).toMatchObject({ success: true, receiver_id: terminal.id, sender_id: "0000beef" });
  }, 60_000);

  it("validation, an unknown session, an unknown host and an interceptor's deny each come back as a clear error with the route's status", async () => {
    const failure = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (error) {
        expect(error).toBeInstanceOf(FleetCommandError);
        return { status: (error as FleetCommandError).status, detail: (error as FleetCommandError).detail };
      }
      throw new Error("the command succeeded");
    };
    expect(
      await failure(() => client.request("hostB", "create_session", { provider: "nope", agent_profile: "developer" })),
    ).toMatchObject({ status: 400, detail: expect.stringContaining('unknown provider "nope"') });
    expect(
      await failure(() => client.request("hostB", "send_input", { terminal_id: "not-an-id", message: "x" })),
    ).toMatchObject({ status: 400, detail: expect.stringContaining("terminal_id") });
    expect(await failure(() => client.request("hostB", "delete_session", { session_name: "nosuch" }))).toEqual({
      status: 404,
      detail: "session cao-nosuch not found",
    });
    expect(await failure(() => client.request("hostZ", "list_sessions", {}))).toEqual({
      status: 404,
      detail: 'no host "hostZ" in the fleet answers (live hosts: hostA, hostB, hostC)',
    });
    expect(
      await failure(() =>
        client.request("hostC", "create_session", {
          provider: "mock",
          agent_profile: "developer",
          session_name: "forbidden-1",
        }),
      ),
    ).toEqual({ status: 403, detail: "denied by plugin guard: no forbidden sessions here" });
    expect((await c.http("GET", "/sessions")).body).toEqual([]);
    // The same request over REST gives the same answer.
    const rest = await c.http("POST", "/sessions", {
      provider: "mock",
      agent_profile: "developer",
      session_name: "forbidden-2",
    });
    expect(rest).toEqual({ status: 403, body: { detail: "denied by plugin guard: no forbidden sessions here" } });
    // A raw request on an op that does not exist, and one that is not JSON.
    const unknownOp = JSON.parse((await nc.request("cao.cmd.hostB.reboot", "{}", { timeout: 5_000 })).string());
    expect(unknownOp.error.status).toBe(404);
    expect(unknownOp.error.detail).toContain('unknown command "reboot"');
    const notJson = JSON.parse(
      (await nc.request("cao.cmd.hostB.create_session", "{oops", { timeout: 5_000 })).string(),
    );
    expect(notJson.error.status).toBe(400);
  }, 30_000);

  it("every host's events are in CAO_EVENTS as CloudEvents 1.0 on cao.events.<host>.<type>, Nats-Msg-Id = id", async () => {
    for (const [server, name] of [
      [a, "a1"],
      [c, "c1"],
    ] as const) {
      const created = await server.http("POST", "/sessions", {
        provider: "mock",
        agent_profile: "developer",
        session_name: name,
      });
      expect(created.status).toBe(201);
    }
    await waitFor(
      async () => {
        const hosts = new Set((await storedEvents(nc)).map((e) => e.event.source));
        return hosts.size === 3;
      },
      15_000,
      "events of the three hosts",
    );
    const all = await storedEvents(nc);
    for (const { subject, msgId, event } of all) {
      const host = event.source.replace("cao://", "");
      expect(["hostA", "hostB", "hostC"]).toContain(host);
      expect(event.specversion).toBe("1.0");
      expect(event.id).toBe(`${host}:${event.data.seq}`);
      expect(msgId).toBe(event.id);
      expect(event.type).toBe(`cao.${event.data.event_type}`);
      expect(subject).toBe(`cao.events.${host}.${event.data.event_type}`);
      expect(event.time).toBe(event.data.timestamp);
      expect(event.datacontenttype).toBe("application/json");
      if (typeof event.data.terminal_id === "string")
        expect(event.subject).toBe(`${event.data.session_id}/${event.data.terminal_id}`);
      else if (event.data.session_id !== null) expect(event.subject).toBe(event.data.session_id);
      else expect(event).not.toHaveProperty("subject");
    }
    const created = all.find((e) => e.event.source === "cao://hostC" && e.event.type === "cao.session_created")!;
    expect(created.event.subject).toBe("cao-c1");
    expect(created.event.data).toMatchObject({ event_type: "session_created", session_name: "cao-c1" });
    // The data is the journal's own JSON for that seq.
    const journal = await c.http("GET", `/events/history?since=${created.event.data.seq - 1}&limit=1`);
    expect(journal.body[0]).toEqual(created.event.data);
    // hostC's denial is an event like any other.
    expect(all.some((e) => e.subject === "cao.events.hostC.operation_denied")).toBe(true);

    // The client's feed: from the start, one host, one type.
    const feed = await client.events({ from: "all", host: "hostB", types: ["session_created"] });
    const first = await feed[Symbol.asyncIterator]().next();
    await feed.close();
    expect(first.value.event).toMatchObject({
      source: "cao://hostB",
      type: "cao.session_created",
      subject: "cao-from-a",
    });
  }, 40_000);

  it("NATS SIGKILLed while hostA creates sessions, then restarted: hostA served meanwhile, and each of its events is in the stream once, in seq order", async () => {
    const create = (name: string) =>
      a.http("POST", "/sessions", { provider: "mock", agent_profile: "developer", session_name: name });
    // A burst of events so that publishing is under way when NATS dies: 80 inbox messages to a busy agent (each one
    // queued is an event, each delivery two more), NATS SIGKILLed once 20 of them were accepted.
    const burst = await create("burst");
    expect(burst.status).toBe(201);
    let accepted = 0;
    const posts = Array.from({ length: 80 }, (_, i) =>
      a
        .http("POST", `/terminals/${burst.body.id}/inbox/messages`, { sender_id: "0000abcd", message: `note ${i}` })
        .finally(() => accepted++),
    );
    await waitFor(() => accepted >= 20, 20_000, "20 messages accepted");
    await nats.stop("SIGKILL");
    const during = [create("k1"), create("k2")];
    // hostA serves on while NATS is gone.
    expect(new Set((await Promise.all(posts)).map((r) => r.status))).toEqual(new Set([200]));
    const whileDown = [...(await Promise.all(during)), await create("k3"), await create("k4")];
    expect(whileDown.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect((await a.http("DELETE", "/sessions/k4")).status).toBe(200);
    await nats.restart();
    expect((await create("k5")).status).toBe(201);
    // The burst's pending messages fail with their session: more events, and then the journal is still.
    expect((await a.http("DELETE", "/sessions/burst")).status).toBe(200);

    await waitFor(
      async () => {
        // Right after its restart NATS may not answer JetStream requests yet: try again.
        const stored = await storedEvents(nc, "hostA").catch(() => undefined);
        return stored?.map((e) => e.event.data.seq).join() === (await journalSeqs(a)).join();
      },
      40_000,
      "hostA's whole journal in the stream",
    ).catch(async (error: Error) => {
      const stored = (await storedEvents(nc, "hostA")).map((e) => e.event.data.seq);
      throw new Error(`${error.message}\nstream: ${stored.join(",")}\njournal: ${(await journalSeqs(a)).join(",")}`);
    });
    const stored = await storedEvents(nc, "hostA");
    const seqs = stored.map((e) => e.event.data.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs[0]).toBe(1);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const created = stored.filter((e) => e.event.type === "cao.session_created").map((e) => e.event.subject);
    expect(created.sort()).toEqual(["cao-a1", "cao-burst", "cao-k1", "cao-k2", "cao-k3", "cao-k4", "cao-k5"]);
    expect(stored.filter((e) => e.event.type === "cao.inbox_message_queued")).toHaveLength(80);
    // Every member came back: the registry lists the three again.
    await waitFor(async () => (await hostNames()).join() === "hostA,hostB,hostC", 20_000, "three hosts again");
    expect(a.output()).toContain("fleet: lost NATS at");
    expect(a.output()).toContain("connected again to NATS");
  }, 90_000);

  it("a host SIGKILLed leaves the registry within the key's TTL (15 s)", async () => {
    await waitFor(async () => (await hostNames()).includes("hostC"), 10_000, "hostC listed");
    await c.stop("SIGKILL");
    const killedAt = Date.now();
    await waitFor(async () => !(await hostNames()).includes("hostC"), 25_000, "hostC to leave the registry", 250);
    const gone = Date.now() - killedAt;
    // The key expires 15 s after its last refresh, which was at most 4 s before the kill; the server checks ages about
    // once a second.
    expect(gone).toBeLessThanOrEqual(15_000 + 2_000);
    expect(await hostNames()).toEqual(["hostA", "hostB"]);
  }, 40_000);

  it("a server stopped cleanly removes its key at once", async () => {
    await b.stop("SIGTERM");
    expect(await hostNames()).toEqual(["hostA"]);
  });
});
