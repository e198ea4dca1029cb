import {
  MessageSentEvent,
  SessionCreatedEvent,
  SessionKilledEvent,
  TerminalCreatedEvent,
  TerminalKilledEvent,
  type CaoEvent,
} from "../../src/plugins/api/index.js";

/**
 * `count` events cycling through the five V1 types. Event i carries `sessionId: "cao-s<i>"`, so a recorder's
 * sessionIds show exactly which events arrived, and in which order.
 */
export function eventStream(count: number): CaoEvent[] {
  const out: CaoEvent[] = [];
  for (let i = 0; i < count; i++) out.push(eventAt(i));
  return out;
}

export function eventAt(i: number): CaoEvent {
  const sessionId = `cao-s${i}`;
  switch (i % 5) {
    case 0:
      return new SessionCreatedEvent({ sessionId, sessionName: sessionId });
    case 1:
      return new TerminalCreatedEvent({ sessionId, terminalId: "0123abcd", agentName: "developer", provider: "mock" });
    case 2:
      return new MessageSentEvent({
        sessionId,
        sender: "0123abcd",
        receiver: "4567ef01",
        message: `#${i}`,
        orchestrationType: "send_message",
      });
    case 3:
      return new TerminalKilledEvent({ sessionId, terminalId: "0123abcd", agentName: "developer" });
    default:
      return new SessionKilledEvent({ sessionId, sessionName: sessionId });
  }
}

export function sessionIds(events: readonly { fields: Record<string, unknown> }[]): unknown[] {
  return events.map((e) => e.fields.sessionId);
}
