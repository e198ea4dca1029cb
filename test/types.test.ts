/**
 * Type-level tests: checked by `npm run typecheck` (tsc over test/), so a wrong type fails the build;
 * the runtime assertions below only make the file a real test.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  allow,
  CaoPlugin,
  definePlugin,
  deny,
  hook,
  intercept,
  MessageSentEvent,
  modify,
  SessionCreatedEvent,
  type CaoEventMap,
  type HookFunction,
  type OrchestrationType,
  type PatchOf,
  type PluginContext,
  type StandardSchemaV1,
  type PreCreateSession,
  type PreCreateTerminal,
  type PreSendMessage,
  type TerminalCreatedEvent,
  type TerminalKilledEvent,
} from "../src/plugins/api/index.js";

describe("types follow the event name", () => {
  it("definePlugin hook handlers receive the event class named by their key", () => {
    const plugin = definePlugin({
      hooks: {
        message_sent(event, context) {
          expectTypeOf(event).toEqualTypeOf<MessageSentEvent>();
          expectTypeOf(event.orchestrationType).toEqualTypeOf<OrchestrationType>();
          expectTypeOf(context).toEqualTypeOf<PluginContext>();
        },
        terminal_created: [
          (event) => expectTypeOf(event).toEqualTypeOf<TerminalCreatedEvent>(),
          (event) => expectTypeOf(event.provider).toBeString(),
        ],
        // @ts-expect-error -- not an event type
        message_snet() {},
      },
    });
    expect(Object.keys(plugin.hooks ?? {})).toContain("message_sent");
  });

  it("the event map and HookFunction agree", () => {
    expectTypeOf<CaoEventMap["session_created"]>().toEqualTypeOf<SessionCreatedEvent>();
    expectTypeOf<Parameters<HookFunction<"message_sent">>[0]>().toEqualTypeOf<MessageSentEvent>();
    expectTypeOf<MessageSentEvent["eventType"]>().toEqualTypeOf<"message_sent">();
  });

  it("@hook accepts a method whose parameter takes the named event, and rejects others", () => {
    class Typed extends CaoPlugin {
      @hook("message_sent")
      async ok(event: MessageSentEvent) {
        return event.message;
      }

      // @ts-expect-error -- a session_created handler cannot take a MessageSentEvent
      @hook("session_created")
      async wrong(event: MessageSentEvent) {
        return event.message;
      }
    }
    // @ts-expect-error -- unknown event type
    expect(() => hook("not_an_event")).not.toThrow();
    expect(new Typed()).toBeInstanceOf(CaoPlugin);
  });

  it("event constructors require their fields and fill in eventType and timestamp", () => {
    // @ts-expect-error -- orchestrationType is required
    const partial = () => new MessageSentEvent({ sender: "a", receiver: "b", message: "m" });
    const event = new MessageSentEvent({ sender: "a", receiver: "b", message: "m", orchestrationType: "assign" });
    expect(partial).not.toThrow();
    expect(event.eventType).toBe("message_sent");
    expect(event.timestamp).toBeInstanceOf(Date);
    expect(event.sessionId).toBeNull();
  });
});

describe("interceptor types follow the point", () => {
  it("@intercept methods take their point's operation and may modify only its changeable fields", async () => {
    class Guard extends CaoPlugin {
      @intercept("pre_send_message", { priority: 10 })
      async ok(op: PreSendMessage) {
        expectTypeOf(op.orchestrationType).toEqualTypeOf<OrchestrationType | null>();
        if (op.message.includes("x")) return deny("no x");
        return modify({ message: op.message.toUpperCase() });
      }

      @intercept("pre_create_session", { failClosed: true })
      session(op: PreCreateSession) {
        return op.sessionName === "cao-a" ? modify({ workingDirectory: "/tmp" }) : allow();
      }

      // @ts-expect-error -- pre_send_message may change message only, not workingDirectory
      @intercept("pre_send_message")
      async wrongField(_op: PreSendMessage) {
        return modify({ workingDirectory: "/" });
      }

      // @ts-expect-error -- a patch naming an allowed field and a forbidden one is refused too
      @intercept("pre_send_message")
      async extraField(op: PreSendMessage) {
        return modify({ message: op.message, sender: "0000aaaa" });
      }

      // @ts-expect-error -- message must stay a string
      @intercept("pre_send_message")
      async wrongType(_op: PreSendMessage) {
        return modify({ message: 42 });
      }

      // @ts-expect-error -- a pre_create_terminal interceptor does not receive a PreSendMessage
      @intercept("pre_create_terminal")
      async wrongPayload(op: PreSendMessage) {
        return deny(op.message);
      }

      // @ts-expect-error -- an interceptor returns a decision, not a string
      @intercept("pre_create_terminal")
      async notADecision(_op: PreCreateTerminal) {
        return "deny";
      }
    }
    // @ts-expect-error -- unknown point
    expect(() => intercept("pre_delete_everything")).toThrow(/unknown interception point/);
    expect(new Guard()).toBeInstanceOf(CaoPlugin);
    expectTypeOf<PatchOf<"pre_create_terminal">>().toEqualTypeOf<{ workingDirectory?: string }>();
  });

  it("definePlugin intercepts are typed per point, with or without options", () => {
    const plugin = definePlugin({
      intercepts: {
        pre_send_message: [
          (op) => {
            expectTypeOf(op).toEqualTypeOf<PreSendMessage>();
            return modify({ message: "m" });
          },
          {
            priority: 5,
            failClosed: true,
            intercept: async (op) => (op.sender === null ? deny("who is this?") : undefined),
          },
        ],
      },
    });
    // @ts-expect-error -- a pre_create_terminal patch may not carry message
    definePlugin({ intercepts: { pre_create_terminal: (_op) => modify({ message: "m" }) } });
    // @ts-expect-error -- not a point
    definePlugin({ intercepts: { pre_reboot: () => allow() } });
    expect(Object.keys(plugin.intercepts ?? {})).toContain("pre_send_message");
  });

  it("hook() accepts the Python CAO's post_* names, typed as the event they stand for", () => {
    class Ported extends CaoPlugin {
      @hook("post_send_message")
      async sent(event: MessageSentEvent) {
        return event.message;
      }

      // @ts-expect-error -- post_create_session stands for session_created, not message_sent
      @hook("post_create_session")
      async wrong(event: MessageSentEvent) {
        return event.message;
      }
    }
    definePlugin({
      hooks: { post_kill_terminal: (event) => expectTypeOf(event).toEqualTypeOf<TerminalKilledEvent>() },
    });
    expect(new Ported()).toBeInstanceOf(CaoPlugin);
  });
});

describe("config types follow the schema (docs/contract.md#configyaml)", () => {
  it("this.config of a class plugin and context.config of definePlugin are the schema's output", async () => {
    const { z } = await import("zod");
    const v = await import("valibot");
    const Zod = z.object({ url: z.string(), retries: z.number().default(5) });
    class Zoddy extends CaoPlugin<typeof Zod> {
      static configSchema = Zod;
      override async setup(context: PluginContext<{ url: string; retries: number }>) {
        expectTypeOf(this.config).toEqualTypeOf<{ url: string; retries: number }>();
        expectTypeOf(context.config.retries).toBeNumber();
      }
    }
    const Vali = v.object({ port: v.optional(v.number(), 8080) });
    const defined = definePlugin({
      config: Vali,
      setup(context) {
        expectTypeOf(context.config).toEqualTypeOf<{ port: number }>();
      },
      hooks: {
        message_sent(_event, context) {
          expectTypeOf(context.config.port).toBeNumber();
        },
        // @ts-expect-error -- still an excess-property error with a config schema
        message_snet() {},
      },
    });
    const hand: StandardSchemaV1<unknown, { on: boolean }> = {
      "~standard": { version: 1, vendor: "hand", validate: () => ({ value: { on: true } }) },
    };
    class Handy extends CaoPlugin<typeof hand> {
      check() {
        expectTypeOf(this.config).toEqualTypeOf<{ on: boolean }>();
      }
    }
    class Plain extends CaoPlugin {
      check() {
        expectTypeOf(this.config).toBeUnknown();
      }
    }
    expect([new Zoddy(), new Handy(), new Plain()].every((p) => p instanceof CaoPlugin)).toBe(true);
    expect(defined.config).toBe(Vali);
    expect(Zoddy.configSchema["~standard"].vendor).toBe("zod");
    expect(Vali["~standard"].vendor).toBe("valibot");
  });
});
