/**
 * The real CLI's own MCP client runs cao-mcp-server and calls it: the double answers a prompt with cao-mcp-server's
 * `send_message` tool (under the name the CLI offers it, or the name a deferred tool is called by), the message lands
 * in another terminal's inbox with the sender's id, and the tool's result reaches the model.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "../helpers/fs-fixtures.js";
import { type Rig, startRig, stopRigs } from "./harness.js";

export interface CaoMcpCallOptions {
  /** The name the model sees for cao-mcp-server's send_message in this CLI. */
  toolName: string;
  /** The CLI's bridge to deferred tools, when the tool is not in the request's `tools` (Qwen Code: `tool_call`). */
  via?: string;
}

export function caoMcpCallSuite(provider: string, options: CaoMcpCallOptions): void {
  describe(`${provider}: cao-mcp-server through the CLI's MCP client`, { timeout: 180_000 }, () => {
    let rig: Rig;

    beforeAll(async () => {
      rig = await startRig([provider]);
    }, 120_000);

    afterAll(async () => {
      await stopRigs();
      removeTempDirs();
    }, 60_000);

    it("send_message called by the model reaches the receiving terminal's inbox, and its result reaches the model", async () => {
      const sender = await rig.launch(provider);
      const receiver = await rig.addTerminal(sender.session_name, provider);
      const prompt = `MCPCALL-${randomBytes(3).toString("hex")}`;
      // Not containing the prompt: once delivered, the message is the receiver's prompt, and the rule must not answer it.
      const message = `hello-${randomBytes(3).toString("hex")}`;
      rig.double.addRules({
        when: prompt,
        steps: [
          { tool: "send_message", input: { receiver_id: receiver.id, message } },
          { text: `Sent for ${prompt}.` },
        ],
      });
      await rig.turn(sender.id, `${prompt}: send the message`, { prompt, requests: 2 });
      const [call, after] = rig.double.requestsFor(prompt);
      if (options.via) {
        expect(call!.tools).not.toContain(options.toolName);
        expect(call!.reply).toMatchObject({ kind: "tool", name: options.via, input: { name: options.toolName } });
      } else {
        expect(call!.tools).toContain(options.toolName);
        expect(call!.reply).toMatchObject({ kind: "tool", name: options.toolName });
      }
      expect(after!.toolResults.join("\n")).toMatch(/"success":\s*true/);
      const inbox = (await rig.server.http("GET", `/terminals/${receiver.id}/inbox/messages`)).body as {
        sender_id: string;
        message: string;
      }[];
      expect(inbox.filter((m) => m.message.includes(message)).map((m) => m.sender_id)).toEqual([sender.id]);
      expect(await rig.lastAnswer(sender.id)).toBe(`Sent for ${prompt}.`);
    });
  });
}
