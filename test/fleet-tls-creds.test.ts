/**
 * Joining a fleet over TLS and with a `.creds` file (docs/fleet.md): a real `nats-server` that verifies client
 * certificates, another in operator mode (JWT accounts) with a user's `.creds` file, and real `cao server` children.
 * Right settings join; wrong ones get one clear line while the local server serves.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FleetClient, FleetUnreachableError } from "../src/fleet/client.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { makeOperatorFiles, makeTlsFiles } from "./helpers/nats-auth.js";
import { startNatsServer, stopNatsServers } from "./helpers/nats-server.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

afterAll(async () => {
  await stopServerProcesses();
  await stopNatsServers();
  removeTempDirs();
});

function homeWith(config: string): string {
  const home = tempDir("cao-fleet-tls-");
  writeFile(path.join(home, "config.yaml"), config);
  return home;
}

const fleetLines = (server: ServerProcess) =>
  server.lines().filter((line) => typeof line.msg === "string" && line.msg.startsWith("fleet:"));

async function expectServesLocally(server: ServerProcess): Promise<void> {
  expect(await server.health()).toEqual({ status: "ok", service: "cli-agent-orchestrator" });
  const created = await server.http("POST", "/sessions", { provider: "mock", agent_profile: "developer" });
  expect(created.status).toBe(201);
}

describe("a fleet over TLS", () => {
  it("a member with the CA and a client certificate joins; without the certificate or trusting another CA it serves locally and says why", async () => {
    const tls = makeTlsFiles();
    const nats = await startNatsServer({
      args: ["--tls", "--tlscert", tls.serverCert, "--tlskey", tls.serverKey, "--tlsverify", "--tlscacert", tls.ca],
    });
    const url = `tls://127.0.0.1:${nats.port}`;
    const member = await startServerProcess({
      home: homeWith(
        `fleet:\n  nats: ${url}\n  host: over-tls\n  tls:\n    ca: ${tls.ca}\n    cert: ${tls.clientCert}\n    key: ${tls.clientKey}\n`,
      ),
    });
    const noCertificate = await startServerProcess({
      home: homeWith(`fleet:\n  nats: ${url}\n  host: no-cert\n  tls:\n    ca: ${tls.ca}\n`),
    });
    const otherCa = await startServerProcess({
      home: homeWith(
        `fleet:\n  nats: ${url}\n  host: other-ca\n  tls:\n    ca: ${tls.otherCa}\n    cert: ${tls.clientCert}\n    key: ${tls.clientKey}\n`,
      ),
    });
    const client = await FleetClient.connect({
      servers: [url],
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
    });
    try {
      await waitFor(async () => (await client.hosts()).length === 1, 15_000, "the member over TLS in the registry");
      expect((await client.hosts()).map((host) => host.host)).toEqual(["over-tls"]);
      expect(await client.request("over-tls", "list_sessions", {})).toEqual([]);

      for (const refused of [noCertificate, otherCa]) {
        await waitFor(() => fleetLines(refused).length > 0, 15_000, "a fleet line from a refused member");
        const [line] = fleetLines(refused);
        expect(line!.msg).toMatch(
          /^fleet: cannot reach NATS at tls:\/\/127\.0\.0\.1:\d+ \(.+\): the TLS handshake failed; check fleet\.tls \(ca, cert, key\).*; this server serves locally/,
        );
        expect(line!.msg).not.toContain("\n");
        await expectServesLocally(refused);
      }
      expect(fleetLines(otherCa)[0]!.msg).toMatch(/certificate/i);
      // Still only the member with the right settings.
      expect((await client.hosts()).map((host) => host.host)).toEqual(["over-tls"]);
    } finally {
      await client.close();
    }
    await expect(FleetClient.connect({ servers: [url], tls: { ca: tls.ca } })).rejects.toThrow(FleetUnreachableError);
    await member.stop();
  }, 90_000);
});

describe("a fleet with a .creds file", () => {
  it("a member with a user's .creds joins an operator-mode NATS; a user of an unknown account is refused with one clear line", async () => {
    const files = makeOperatorFiles();
    const nats = await startNatsServer({ args: ["-c", files.config] });
    const member = await startServerProcess({
      home: homeWith(`fleet:\n  nats: ${nats.url}\n  host: by-creds\n  creds: ${files.creds}\n`),
    });
    const stranger = await startServerProcess({
      home: homeWith(`fleet:\n  nats: ${nats.url}\n  host: stranger\n  creds: ${files.strangerCreds}\n`),
    });
    const client = await FleetClient.connect({ servers: [nats.url], creds: files.creds });
    try {
      await waitFor(async () => (await client.hosts()).length === 1, 15_000, "the member by creds in the registry");
      expect((await client.hosts()).map((host) => host.host)).toEqual(["by-creds"]);
      expect(await client.request("by-creds", "list_sessions", {})).toEqual([]);

      await waitFor(() => fleetLines(stranger).length > 0, 15_000, "a fleet line from the stranger");
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // it retries; none of the retries logs again
      const lines = fleetLines(stranger);
      expect(lines).toHaveLength(1);
      expect(lines[0]!.level).toBe(50);
      expect(lines[0]!.msg).toContain("refused this server's credentials");
      expect(lines[0]!.msg).toContain("fleet.creds");
      await expectServesLocally(stranger);
    } finally {
      await client.close();
    }
    await expect(FleetClient.connect({ servers: [nats.url], creds: files.strangerCreds })).rejects.toThrow(
      /refused the credentials/,
    );
    await member.stop();
  }, 90_000);
});
