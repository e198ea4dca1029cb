/**
 * cao-mcp-server reached through a real CLI's own MCP client: the CLI is launched by CAO (which hands it
 * cao-mcp-server per launch), the model double calls `send_message` under the name the CLI gives that tool, and the
 * message lands in another terminal's inbox. The receiver is the bundled mock agent, so only one real CLI starts.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "../helpers/fs-fixtures.js";
import { type Rig, startRig, stopRigs } from "./harness.js";

export interface CaoMcpCheckOptions {
  /** The name the model sees for cao-mcp-server's send_message (e.g. `cao-mcp-server-send_message`). */
  sendMessageTool: string;
  /** Whether the CLI lists the tool in the request's `tools` (false: deferred behind a tool search). */
  offered: boolean;
}

export function caoMcpCheck(provider: string, options: CaoMcpCheckOptions): void {
  describe(`${provider}: cao-mcp-server through the CLI's own MCP client`, { timeout: 180_000 }, () => {
    let rig: Rig;

    beforeAll(async () => {
      rig = await startRig([provider]);
    }, 120_000);

    afterAll(async () => {
      await stopRigs();
      removeTempDirs();
    }, 60_000);

    it("the model is offered cao-mcp-server's tools, and its send_message call reaches the receiver's inbox", async () => {
      const sender = await rig.launch(provider);
      const receiver = await rig.addTerminal(sender.session_name, "mock");
      const prompt = `MCP-${randomBytes(3).toString("hex")}`;
      const message = `hi from ${prompt}`;
      rig.double.addRules({
        when: prompt,
        steps: [
          { tool: "send_message", input: { receiver_id: receiver.id, message } },
          { text: `Sent for ${prompt}.` },
        ],
      });
      await rig.turn(sender.id, `${prompt}: send the message`, { prompt, requests: 2 });
      const [call, after] = rig.double.requestsFor(prompt);
      if (options.offered) expect(call!.tools).toContain(options.sendMessageTool);
      expect(call!.reply).toMatchObject({ kind: "tool", name: options.sendMessageTool });
      expect(after!.toolResults.join("\n")).toContain('"success":true');
      const inbox = await rig.server.http("GET", `/terminals/${receiver.id}/inbox/messages`);
      expect(inbox.status).toBe(200);
      expect(inbox.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ sender_id: sender.id, message: expect.stringContaining(message) }),
        ]),
      );
      expect(await rig.lastAnswer(sender.id)).toBe(`Sent for ${prompt}.`);
    });
  });
}
