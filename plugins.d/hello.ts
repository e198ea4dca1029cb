/**
 * The smallest useful CAO plugin: logs every agent-to-agent message and every session coming and going.
 * Copy it into ~/.cao/plugins (or $CAO_PLUGINS_DIR), start `cao server`, and edit it: it reloads on save.
 */
import {
  CaoPlugin,
  hook,
  type MessageSentEvent,
  type SessionCreatedEvent,
  type SessionKilledEvent,
} from "cli-agent-orchestrator/plugins";

export default class Hello extends CaoPlugin {
  private messages = 0;

  override async setup(): Promise<void> {
    this.logger.info("hello plugin ready");
  }

  @hook("message_sent")
  async onMessage(event: MessageSentEvent): Promise<void> {
    this.messages++;
    this.logger.info(
      { sender: event.sender, receiver: event.receiver, via: event.orchestrationType },
      `message #${this.messages}: ${event.sender} → ${event.receiver} (${event.orchestrationType}): ${event.message.slice(0, 80)}`,
    );
  }

  @hook("session_created")
  @hook("session_killed")
  async onSession(event: SessionCreatedEvent | SessionKilledEvent): Promise<void> {
    this.logger.info(`${event.eventType}: ${event.sessionName}`);
  }

  override async teardown(): Promise<void> {
    this.logger.info(`hello plugin done after ${this.messages} messages`);
  }
}
