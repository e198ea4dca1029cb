/**
 * What a "supported provider" means (docs/providers/, README "Providers"), as one suite each real CLI runs (one test file per CLI, so vitest runs
 * the slow CLIs in parallel): first launch in a directory the CLI has never seen → idle; a message → processing
 * while the double streams slowly → completed, with the scripted answer extracted; a shell tool call that really
 * runs, its output in the double's next request; a model-side error → error; exit and session delete leave no
 * agent process behind. Everything through a real `cao server`, real tmux and the real CLI.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "../helpers/fs-fixtures.js";
import { type Rig, startRig, stopRigs } from "./harness.js";

export interface ProviderSuiteOptions {
  /** HTTP status the double fails with for the error test (one the CLI does not retry). */
  errorStatus?: number;
}

const marker = (what: string): string => `${what}-${randomBytes(3).toString("hex")}`;

export function providerSuite(provider: string, options: ProviderSuiteOptions = {}): void {
  describe(`${provider}: the real CLI through CAO against the model double`, { timeout: 180_000 }, () => {
    let rig: Rig;
    let id: string;

    beforeAll(async () => {
      rig = await startRig([provider]);
    }, 120_000);

    afterAll(async () => {
      await stopRigs();
      removeTempDirs();
    }, 60_000);

    it("first launch in a directory the CLI has never seen: idle, every first-launch screen handled", async () => {
      const terminal = await rig.launch(provider);
      id = terminal.id;
      expect(terminal.provider).toBe(provider);
      expect(["idle", "completed"]).toContain(terminal.status);
      expect(await rig.status(id)).toBe("idle");
      expect(rig.agentPids(id).length).toBeGreaterThan(0);
    });

    it("a message: processing while the answer streams, then completed with the scripted answer extracted", async () => {
      const prompt = marker("TELL");
      const answer = `The double answers ${prompt.toLowerCase()} with forty-two apples.`;
      rig.double.addRules({ when: prompt, steps: [{ text: answer, chunks: 8, chunkDelayMs: 400 }] });
      const seen = await rig.turn(id, `${prompt}: how many apples?`, { prompt });
      expect(seen).toContain("processing");
      expect(seen.at(-1)).toBe("completed");
      expect(await rig.lastAnswer(id)).toBe(answer);
      const request = rig.double.requestsFor(prompt)[0]!;
      expect(request.prompt).toContain(`${prompt}: how many apples?`);
    });

    it("a shell tool call runs, and its output reaches the model", async () => {
      const prompt = marker("RUNTOOL");
      rig.double.addRules({
        when: prompt,
        steps: [{ shell: "printf 'x-%d' 42" }, { text: `Tool ran for ${prompt}.` }],
      });
      await rig.turn(id, `${prompt}: run the tool`, { prompt, requests: 2 });
      const requests = rig.double.requestsFor(prompt);
      expect(requests.map((r) => r.reply.kind)).toEqual(["tool", "text"]);
      expect(requests[1]!.toolResults.join("\n")).toContain("x-42");
      expect(await rig.lastAnswer(id)).toBe(`Tool ran for ${prompt}.`);
    });

    it("a model-side error: error", async () => {
      const prompt = marker("FAIL");
      rig.double.addRules({
        when: prompt,
        steps: [{ error: { status: options.errorStatus ?? 400, message: `scripted failure ${prompt}` } }],
      });
      await rig.turn(id, `${prompt}: this request fails`, { prompt, until: "error" });
    });

    it("POST /terminals/:id/exit ends the agent and leaves no process of it behind", async () => {
      const answer = await rig.server.http("POST", `/terminals/${id}/exit`);
      expect(answer.status).toBe(200);
      await rig.waitForStatus(id, "error", 30_000);
      await rig.expectNoAgentProcesses(id);
    });

    it("DELETE /sessions/:name ends every agent of the session, with no process left", async () => {
      const first = await rig.launch(provider);
      const second = await rig.addTerminal(first.session_name, provider);
      expect(rig.agentPids(first.id).length).toBeGreaterThan(0);
      expect(rig.agentPids(second.id).length).toBeGreaterThan(0);
      expect((await rig.server.http("DELETE", `/sessions/${first.session_name}`)).status).toBe(200);
      await rig.expectNoAgentProcesses(first.id);
      await rig.expectNoAgentProcesses(second.id);
      expect((await rig.server.http("GET", `/terminals/${first.id}`)).status).toBe(404);
    });
  });
}
